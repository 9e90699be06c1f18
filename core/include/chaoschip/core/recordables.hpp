#pragma once
// One table of a model's recordable state variables (NEST's RecordablesMap): each entry is a
// name and a pointer to the state's member holding the values, whether it may be set, and a
// hook the model runs after setting it (e.g. lif::derive_from_membrane). variables(),
// variable() and set_variable() of every model follow from the table, in its order (the
// order in which run files write the datasets).
//
// A model declares   static constexpr auto recordables() { return std::array{...}; }
// and derives from with_recordables<Model> for the value-type API.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

template <class Model>
struct recordable {
  using state = typename Model::state;
  using int64_array = Eigen::Array<std::int64_t, Eigen::Dynamic, 1>;
  // Integer states (chip kernels) are read as doubles and set rounded to the nearest integer.
  using field = std::variant<Eigen::ArrayXd state::*, Eigen::VectorXd state::*,
                             std::vector<double> state::*, int64_array state::*>;
  using predicate = bool (Model::*)() const noexcept;

  std::string_view name;
  field member;
  bool settable = true;
  void (Model::*after_set)(state&) const = nullptr;  // run after a set (derived quantities)
  predicate present = nullptr;  // readable and settable only when true (nullptr: always)
  predicate listed = nullptr;   // in variables() only when true (nullptr: when present)
  bool recorded = true;         // false: readable by name but never listed (lif's psi)
};

template <class Model>
concept recordable_model = requires {
  Model::recordables();
};

namespace detail {
template <class Model>
bool holds(const Model& m, typename recordable<Model>::predicate p) {
  return p == nullptr || (m.*p)();
}
template <class Model>
const recordable<Model>* find_recordable(const Model& m, std::string_view name) {
  static constexpr auto table = Model::recordables();
  for (const auto& r : table)
    if (r.name == name && holds(m, r.present)) return &r;
  return nullptr;
}
}  // namespace detail

template <class Model>
std::vector<std::string> recordable_names(const Model& m) {
  std::vector<std::string> out;
  for (const auto& r : Model::recordables())
    if (r.recorded && detail::holds(m, r.listed ? r.listed : r.present)) out.emplace_back(r.name);
  return out;
}

template <class Model>
Eigen::VectorXd read_recordable(const Model& m, const typename Model::state& s,
                                std::string_view name) {
  const auto* r = detail::find_recordable(m, name);
  if (!r) throw error(std::string(m.name()) + " has no state variable '" + std::string(name) + "'");
  using state = typename Model::state;
  using int64_array = typename recordable<Model>::int64_array;
  struct reader {
    const state& s;
    Eigen::VectorXd operator()(Eigen::ArrayXd state::*p) const { return (s.*p).matrix(); }
    Eigen::VectorXd operator()(Eigen::VectorXd state::*p) const { return s.*p; }
    Eigen::VectorXd operator()(std::vector<double> state::*p) const {
      const auto& v = s.*p;
      return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
    }
    Eigen::VectorXd operator()(int64_array state::*p) const {
      return (s.*p).template cast<double>().matrix();
    }
  };
  return std::visit(reader{s}, r->member);
}

template <class Model>
void write_recordable(const Model& m, typename Model::state& s, std::string_view name,
                      const Eigen::Ref<const Eigen::VectorXd>& value) {
  const auto* r = detail::find_recordable(m, name);
  if (!r || !r->settable)
    throw error(std::string(m.name()) + " has no settable variable '" + std::string(name) + "'");
  using state = typename Model::state;
  using int64_array = typename recordable<Model>::int64_array;
  struct writer {
    state& s;
    const Eigen::Ref<const Eigen::VectorXd>& x;
    void operator()(Eigen::ArrayXd state::*p) const { s.*p = x.array(); }
    void operator()(Eigen::VectorXd state::*p) const { s.*p = x; }
    void operator()(std::vector<double> state::*p) const {
      (s.*p).assign(x.data(), x.data() + x.size());
    }
    void operator()(int64_array state::*p) const {
      s.*p = x.array().round().template cast<std::int64_t>();
    }
  };
  std::visit(writer{s, value}, r->member);
  if (r->after_set) (m.*(r->after_set))(s);
}

// The value-type API (model.variables(), model.variable(state, name), ...) from the table.
template <class Model>
class with_recordables {
 public:
  std::vector<std::string> variables() const { return recordable_names(self()); }
  template <class State>
  Eigen::VectorXd variable(const State& s, std::string_view name) const {
    return read_recordable(self(), s, name);
  }
  template <class State>
  void set_variable(State& s, std::string_view name,
                    const Eigen::Ref<const Eigen::VectorXd>& value) const {
    write_recordable(self(), s, name, value);
  }

 private:
  const Model& self() const noexcept { return static_cast<const Model&>(*this); }
};

}  // namespace chaoschip
