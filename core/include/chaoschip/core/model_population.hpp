#pragma once
// The bridge from a model value type to the population interface: the one virtual call
// per population and step; everything inside is the model's own (templated) loop.
//
// A Model provides: parameters, state, output (spikes | graded), make_state(n),
// step(state&, input) [or step(state&, input, coupling) for continuous coupling],
// recordables() (core/recordables.hpp; or variables(), variable(state, name),
// set_variable(state, name, value) of its own), and for tangent
// dynamics tangent_dim(n) with jacobian_apply(state, W, q) [or step_tangent(...)], which
// make up the population's tangent_facet.
#include <string_view>
#include <utility>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/recordables.hpp"

namespace chaoschip {

// Models whose step integrates the recurrent coupling itself (rate_ode).
template <class M>
concept coupled_model = requires(const M& m, typename M::state& s, const Eigen::VectorXd& x,
                                 const projection* w) {
  m.step(s, x, w);
};
// Models that integrate their tangent dynamics together with the step.
template <class M>
concept joint_tangent_model = requires(const M& m, typename M::state& s, const Eigen::VectorXd& x,
                                       const projection* w, Eigen::Ref<Eigen::MatrixXd> q) {
  m.step_tangent(s, x, w, q);
};
// Models that integrate each incoming spike on its own (event input, e.g. Xylo).
template <class M>
concept event_model = requires(const M& m, typename M::state& s, std::size_t port, std::int64_t t,
                               std::span<const std::uint32_t> spikes, const projection& w) {
  m.receive(s, port, t, spikes, w);
  m.step_events(s, t);
};
template <class M>
concept jacobian_model = requires(const M& m, const typename M::state& s, const projection* w,
                                  Eigen::Ref<Eigen::MatrixXd> q) {
  m.tangent_dim(std::size_t{});
  m.jacobian_apply(s, w, q);
};

// Models that expose how the recurrent weights enter their Jacobian (local flossing).
template <class M>
concept weight_factor_model = requires(const M& m, const typename M::state& s,
                                       const Eigen::Ref<const Eigen::MatrixXd>& q,
                                       Eigen::Ref<Eigen::MatrixXd> out) {
  m.weight_factor_pre(s, q, out);
  m.weight_factor_post(s, q, out);
};

// Models whose Jacobian is diag(a) + diag(c) W diag(s) (population::diagonal_jacobian).
template <class M>
concept diagonal_jacobian_model = requires(const M& m, const typename M::state& st,
                                           Eigen::VectorXd& v) {
  m.diagonal_jacobian(st, v, v, v);
};

template <class Model>
class model_population final : public population, private tangent_facet {
  static constexpr bool has_tangent = jacobian_model<Model> || joint_tangent_model<Model>;

 public:
  model_population(Model model, std::size_t n)
      : model_(std::move(model)), n_(n), state_(model_.make_state(n)) {}

  std::string_view model() const noexcept override { return model_.name(); }
  std::size_t size() const noexcept override { return n_; }
  output_kind output() const noexcept override { return Model::output; }
  void reset() override { state_ = model_.make_state(n_); }

  void step(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>& input) override {
    if constexpr (event_model<Model>)
      model_.step_events(state_, t);
    else if constexpr (coupled_model<Model>)
      model_.step(state_, input, coupling_);
    else
      model_.step(state_, input);
  }

  std::span<const std::uint32_t> spikes() const noexcept override {
    if constexpr (Model::output == output_kind::spikes)
      return state_.spiking;
    else
      return {};
  }
  const Eigen::VectorXd& graded() const noexcept override {
    if constexpr (requires { state_.r; })
      return state_.r;
    else if constexpr (requires { state_.y; })
      return state_.y;
    else
      return population::graded();
  }

  std::vector<std::string> variables() const override {
    if constexpr (recordable_model<Model>)
      return recordable_names(model_);
    else
      return model_.variables();
  }
  Eigen::VectorXd variable(std::string_view var) const override {
    if constexpr (recordable_model<Model>)
      return read_recordable(model_, state_, var);
    else
      return model_.variable(state_, var);
  }
  void set_variable(std::string_view var, const Eigen::Ref<const Eigen::VectorXd>& value) override {
    if constexpr (recordable_model<Model>)
      write_recordable(model_, state_, var, value);
    else
      model_.set_variable(state_, var, value);
  }

  bool event_input() const noexcept override { return event_model<Model>; }
  void receive(std::size_t port, std::int64_t arrival, std::span<const std::uint32_t> spikes,
               const projection& w) override {
    if constexpr (event_model<Model>)
      model_.receive(state_, port, arrival, spikes, w);
    else
      population::receive(port, arrival, spikes, w);
  }

  bool continuous_coupling() const noexcept override { return coupled_model<Model>; }
  void set_coupling(const projection* recurrent) override { coupling_ = recurrent; }

  // The tangent hooks are the tangent_facet (a private base), present when the model has
  // tangent dynamics; population's tangent_dim(), step_tangent(), ... forward to it.
  tangent_facet* tangent() noexcept override {
    if constexpr (has_tangent)
      return this;
    else
      return nullptr;
  }
  const tangent_facet* tangent() const noexcept override {
    if constexpr (has_tangent)
      return this;
    else
      return nullptr;
  }

  const Model& model_value() const noexcept { return model_; }
  const typename Model::state& state() const noexcept { return state_; }
  typename Model::state& state() noexcept { return state_; }

 private:
  // tangent_facet (reached only through tangent(), so only when has_tangent).
  std::size_t dim() const noexcept override {
    if constexpr (has_tangent)
      return model_.tangent_dim(n_);
    else
      return 0;
  }
  void advance([[maybe_unused]] std::int64_t t,
               [[maybe_unused]] const Eigen::Ref<const Eigen::VectorXd>& input,
               [[maybe_unused]] const projection* recurrent,
               [[maybe_unused]] Eigen::Ref<Eigen::MatrixXd> q) override {
    if constexpr (joint_tangent_model<Model>) {
      model_.step_tangent(state_, input, recurrent, q);
    } else if constexpr (jacobian_model<Model>) {
      model_.jacobian_apply(state_, recurrent, q);  // D_t uses the state before the step
      step(t, input);
    }
  }
  bool separable() const noexcept override {
    return jacobian_model<Model> && !joint_tangent_model<Model>;
  }
  void apply([[maybe_unused]] const projection* recurrent,
             [[maybe_unused]] Eigen::Ref<Eigen::MatrixXd> q) const override {
    if constexpr (jacobian_model<Model> && !joint_tangent_model<Model>)
      model_.jacobian_apply(state_, recurrent, q);
  }
  bool weight_factors() const noexcept override { return weight_factor_model<Model>; }
  void factor_pre([[maybe_unused]] const Eigen::Ref<const Eigen::MatrixXd>& q,
                  [[maybe_unused]] Eigen::Ref<Eigen::MatrixXd> pre) const override {
    if constexpr (weight_factor_model<Model>) model_.weight_factor_pre(state_, q, pre);
  }
  void factor_post([[maybe_unused]] const Eigen::Ref<const Eigen::MatrixXd>& m,
                   [[maybe_unused]] Eigen::Ref<Eigen::MatrixXd> post) const override {
    if constexpr (weight_factor_model<Model>) model_.weight_factor_post(state_, m, post);
  }
  bool diagonal() const noexcept override {
    return diagonal_jacobian_model<Model> && !joint_tangent_model<Model>;
  }
  void diagonal_factors([[maybe_unused]] Eigen::VectorXd& a, [[maybe_unused]] Eigen::VectorXd& c,
                        [[maybe_unused]] Eigen::VectorXd& s) const override {
    if constexpr (diagonal_jacobian_model<Model> && !joint_tangent_model<Model>)
      model_.diagonal_jacobian(state_, a, c, s);
  }

  Model model_;
  std::size_t n_;
  typename Model::state state_;
  const projection* coupling_ = nullptr;  // non-owning; the network owns projections
};

}  // namespace chaoschip
