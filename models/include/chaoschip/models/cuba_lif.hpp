#pragma once
// NIR's CubaLIF: tau_syn di/dt = -i + w_in I, tau_mem dv/dt = v_leak - v + r i; spike
// z = [v > v_threshold], reset in the same step; the stored v is after the reset.
// Euler updates i first and v with the new i (snnTorch's Synaptic neuron).
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/models/nir_common.hpp"

namespace chaoschip::models {

struct cuba_lif_parameters {
  nir::cuba_parameters cuba{};
  nir::threshold_parameters threshold{};
  integrator scheme = integrator::exact;
};

class cuba_lif : public with_recordables<cuba_lif> {
 public:
  using parameters = cuba_lif_parameters;
  struct state {
    Eigen::ArrayXd v;      // membrane after the reset
    Eigen::ArrayXd i_syn;  // synaptic current
    Eigen::ArrayXd v_pre;  // membrane before the reset (the tangent space's coordinate)
    Eigen::ArrayXd z;      // spikes of the last step, 0/1
    Eigen::ArrayXd psi;    // pseudo-derivative of the last step
    std::vector<std::uint32_t> spiking;
  };
  static constexpr output_kind output = output_kind::spikes;

  cuba_lif(const parameters& p, double dt);
  std::string_view name() const noexcept { return "cuba_lif"; }
  state make_state(std::size_t n) const;
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  const Eigen::ArrayXd& pseudo_derivative(const state& s) const noexcept { return s.psi; }
  // After v is set: a membrane that has not spiked (nir::derive_unspiked).
  void derive_from_membrane(state& s) const {
    nir::derive_unspiked(p_.threshold, s.v, s.v_pre, s.z, s.psi, s.spiking);
  }
  // Surrogate Jacobian on [v_pre; i_syn] (nir_common.hpp), and its weight factors.
  std::size_t tangent_dim(std::size_t n) const noexcept { return 2 * n; }
  void jacobian_apply(const state& s, const projection* w, Eigen::Ref<Eigen::MatrixXd> q) const {
    const auto sg = nir::surrogate_of(p_.threshold, s.v_pre, s.z, s.psi);
    nir::cuba_jacobian_apply(prop_, w, q, &sg);
  }
  void weight_factor_pre(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& q,
                         Eigen::Ref<Eigen::MatrixXd> pre) const {
    nir::cuba_weight_factor_pre(&s.psi, q, pre);
  }
  void weight_factor_post(const state&, const Eigen::Ref<const Eigen::MatrixXd>& m,
                          Eigen::Ref<Eigen::MatrixXd> post) const {
    nir::cuba_weight_factor_post(prop_, m, post);
  }

  static constexpr auto recordables() {
    using r = recordable<cuba_lif>;
    return std::array{
        r{"v", &state::v, true, &cuba_lif::derive_from_membrane}, r{"i", &state::i_syn},
        r{.name = "psi", .member = &state::psi, .settable = false, .recorded = false}};
  }
  const parameters& params() const noexcept { return p_; }
  const nir::cuba_propagator& propagator() const noexcept { return prop_; }

 private:
  parameters p_;
  nir::cuba_propagator prop_;
  Eigen::Index size_ = 1;
};

}  // namespace chaoschip::models
