#pragma once
// The one-variable NIR neurons share everything but how their parameters lower to a
// propagator v <- a v + c + k I (nir_common.hpp): the spiking ones (LIF, IF) and the graded
// ones (LI, I). Each model is a class deriving from one of these with its parameters, its
// name and its lowering (nir_lif.hpp, if_neuron.hpp, li.hpp, nir_integrator.hpp).
#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/models/nir_common.hpp"

namespace chaoschip::models::nir {

// Spike z = [v > v_threshold] after the step, reset in the same step; the stored v is
// after the reset. Params has `threshold` (threshold_parameters).
template <class Derived, class Params>
class spiking_leaky : public with_recordables<Derived> {
 public:
  using parameters = Params;
  struct state {
    Eigen::ArrayXd v;      // membrane after the reset
    Eigen::ArrayXd v_pre;  // membrane before the reset (the tangent space's coordinate)
    Eigen::ArrayXd z;      // spikes of the last step, 0/1
    Eigen::ArrayXd psi;    // pseudo-derivative of the last step
    std::vector<std::uint32_t> spiking;
  };
  static constexpr output_kind output = output_kind::spikes;

  std::string_view name() const noexcept { return Derived::model_name; }
  state make_state(std::size_t n) const {
    require_population_size(Derived::model_name.data(), size_, n);
    const auto m = static_cast<Eigen::Index>(n);
    state s{Eigen::ArrayXd::Zero(m),
            Eigen::ArrayXd::Zero(m),
            Eigen::ArrayXd::Zero(m),
            Eigen::ArrayXd::Zero(m),
            {}};
    s.spiking.reserve(n);
    return s;
  }
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
    prop_.apply(s.v, input);
    spike_and_reset(p_.threshold, s.v, s.v_pre, s.z, s.psi, s.spiking);
  }
  const Eigen::ArrayXd& pseudo_derivative(const state& s) const noexcept { return s.psi; }
  // After v is set: a membrane that has not spiked (derive_unspiked).
  void derive_from_membrane(state& s) const {
    derive_unspiked(p_.threshold, s.v, s.v_pre, s.z, s.psi, s.spiking);
  }
  // Surrogate Jacobian on [v_pre] (nir_common.hpp), and its weight factors.
  std::size_t tangent_dim(std::size_t n) const noexcept { return n; }
  void jacobian_apply(const state& s, const projection* w, Eigen::Ref<Eigen::MatrixXd> q) const {
    const auto sg = surrogate_of(p_.threshold, s.v_pre, s.z, s.psi);
    leaky_jacobian_apply(prop_, w, q, &sg);
  }
  void weight_factor_pre(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& q,
                         Eigen::Ref<Eigen::MatrixXd> pre) const {
    leaky_weight_factor_pre(&s.psi, q, pre);
  }
  void weight_factor_post(const state&, const Eigen::Ref<const Eigen::MatrixXd>& m,
                          Eigen::Ref<Eigen::MatrixXd> post) const {
    leaky_weight_factor_post(prop_, m, post);
  }

  static constexpr auto recordables() {
    using r = recordable<Derived>;
    return std::array{
        r{"v", &state::v, true, &Derived::derive_from_membrane},
        r{.name = "psi", .member = &state::psi, .settable = false, .recorded = false}};
  }
  const parameters& params() const noexcept { return p_; }
  const leaky_propagator& propagator() const noexcept { return prop_; }

 protected:
  spiking_leaky(const Params& p, std::pair<leaky_propagator, Eigen::Index> lowered)
      : p_(p), prop_(std::move(lowered.first)), size_(lowered.second) {}

 private:
  parameters p_;
  leaky_propagator prop_;
  Eigen::Index size_ = 1;
};

// No threshold: the graded output is v.
template <class Derived, class Params>
class graded_leaky : public with_recordables<Derived> {
 public:
  using parameters = Params;
  struct state {
    Eigen::VectorXd y;  // v, the graded output
  };
  static constexpr output_kind output = output_kind::graded;

  std::string_view name() const noexcept { return Derived::model_name; }
  state make_state(std::size_t n) const {
    require_population_size(Derived::model_name.data(), size_, n);
    return {Eigen::VectorXd::Zero(static_cast<Eigen::Index>(n))};
  }
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
    prop_.apply(s.y, input);
  }
  // Tangent space [v], the output v fed back through w (linear: exact).
  std::size_t tangent_dim(std::size_t n) const noexcept { return n; }
  void jacobian_apply(const state&, const projection* w, Eigen::Ref<Eigen::MatrixXd> q) const {
    leaky_jacobian_apply(prop_, w, q);
  }
  void weight_factor_pre(const state&, const Eigen::Ref<const Eigen::MatrixXd>& q,
                         Eigen::Ref<Eigen::MatrixXd> pre) const {
    leaky_weight_factor_pre(nullptr, q, pre);
  }
  void weight_factor_post(const state&, const Eigen::Ref<const Eigen::MatrixXd>& m,
                          Eigen::Ref<Eigen::MatrixXd> post) const {
    leaky_weight_factor_post(prop_, m, post);
  }

  static constexpr auto recordables() {
    using r = recordable<Derived>;
    return std::array{r{"v", &state::y}};
  }
  const parameters& params() const noexcept { return p_; }
  const leaky_propagator& propagator() const noexcept { return prop_; }

 protected:
  graded_leaky(const Params& p, std::pair<leaky_propagator, Eigen::Index> lowered)
      : p_(p), prop_(std::move(lowered.first)), size_(lowered.second) {}

 private:
  parameters p_;
  leaky_propagator prop_;
  Eigen::Index size_ = 1;
};

}  // namespace chaoschip::models::nir
