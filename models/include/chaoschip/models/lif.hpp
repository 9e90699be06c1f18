#pragma once
// Current-based leaky integrate-and-fire neurons, with optional adaptive threshold (ALIF).
//
// Per step t, for each neuron (NEST eprop_iaf_bsshslm_2020 order for reset = subtract):
//   delta synapses (tau_syn = 0):   v <- alpha v + c_in I_t           c_in = 1 - alpha, or 1
//                                                                     with regular arrival
//   exponential synapses:           v <- alpha v + p21 i_syn,  i_syn <- alpha_s i_syn + I_t
//   reset = subtract:  v <- v - v_th z_{t-1}   (applied one step after the spike)
//   reset = value:     v <- v_reset at the start of the step after a spike, then held (input
//                      discarded) for round(t_ref/dt) steps, as NEST's iaf_psc_delta
//   ALIF:              a <- rho a + z_{t-1},  threshold theta = v_th + beta a
//   psi_t = gamma / v_th * max(0, 1 - |v - theta| / v_th)  (0 while refractory)
//   z_t   = v >= theta and not refractory
// The stored v is the membrane before its reset, so a spike is visible in the trace.
// Refractoriness with reset = subtract follows NEST's e-prop models: the counter is set to
// round(t_ref/dt) at a spike and decremented first each step (t_ref/dt - 1 silent steps).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/recordables.hpp"

namespace chaoschip::models {

enum class reset_mode { subtract, value };

struct lif_parameters {
  double tau_m = 30.0;   // ms
  double tau_syn = 0.0;  // ms, 0 = delta synapses
  double v_th = 0.03;
  double v_reset = 0.0;  // reset = value
  double t_ref = 0.0;    // ms
  double gamma = 0.3;    // pseudo-derivative height factor
  reset_mode reset = reset_mode::subtract;
  bool regular_spike_arrival = false;
  // Adaptation (alif only).
  bool adaptive = false;
  double tau_a = 2000.0;  // ms
  double beta = 1.8;
  std::int64_t n_adaptive = -1;  // the last n_adaptive neurons adapt; -1 = all
};

class lif : public with_recordables<lif> {
 public:
  using parameters = lif_parameters;
  struct state {
    Eigen::ArrayXd v;                    // membrane (before reset)
    Eigen::ArrayXd i_syn;                // synaptic current (tau_syn > 0)
    Eigen::ArrayXd a;                    // adaptation (alif)
    Eigen::ArrayXd z;                    // spikes of the last step, 0/1
    Eigen::ArrayXd psi;                  // pseudo-derivative of the last step
    Eigen::ArrayXi ref;                  // refractory counter
    std::vector<std::uint32_t> spiking;  // indices with z = 1
  };
  static constexpr output_kind output = output_kind::spikes;

  lif(const parameters& p, double dt);

  std::string_view name() const noexcept { return p_.adaptive ? "alif" : "lif"; }
  state make_state(std::size_t n) const;
  // `input` = summed weights of the spikes arriving at this step.
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  const Eigen::ArrayXd& pseudo_derivative(const state& s) const noexcept { return s.psi; }

  // Tangent space [v; i_syn if tau_syn > 0; a if adaptive], the spike replaced by its
  // pseudo-derivative (surrogate Jacobian), including the reset's dependence on v.
  std::size_t tangent_dim(std::size_t n) const noexcept;
  void jacobian_apply(const state& s, const projection* w, Eigen::Ref<Eigen::MatrixXd> q) const;
  // The surrogate Jacobian's weight term: W dz with dz = psi (dv - beta da) enters i_syn
  // (exponential synapses) or v scaled by c_in (delta synapses; nothing while held
  // refractory with reset to a value): pre = dz, post = those rows of m.
  void weight_factor_pre(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& q,
                         Eigen::Ref<Eigen::MatrixXd> pre) const;
  void weight_factor_post(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& m,
                          Eigen::Ref<Eigen::MatrixXd> post) const;

  // v, i_syn (exponential synapses), a (adaptive); psi readable by name, not recorded.
  static constexpr auto recordables() {
    using r = recordable<lif>;
    return std::array{
        r{"v", &state::v, true, &lif::derive_from_membrane},
        r{"i_syn", &state::i_syn, true, nullptr, &lif::has_synapse},
        r{"a", &state::a, true, &lif::derive_from_membrane, &lif::adaptive},
        r{.name = "psi", .member = &state::psi, .settable = false, .recorded = false}};
  }
  bool has_synapse() const noexcept { return p_.tau_syn > 0.0; }
  bool adaptive() const noexcept { return p_.adaptive; }
  // After v or a is set (initial conditions, replay of a recorded state): the spikes and
  // pseudo-derivative the step that left this v would have left.
  void derive_from_membrane(state& s) const;

  // Lowered constants (exposed for tests and learning rules).
  double alpha() const noexcept { return alpha_; }
  double c_in() const noexcept { return c_in_; }
  double alpha_syn() const noexcept { return alpha_syn_; }
  double p21() const noexcept { return p21_; }
  double rho() const noexcept { return rho_; }
  int refractory_steps() const noexcept { return n_ref_; }
  // Adaptation strength of neuron i of n (0 for non-adaptive neurons).
  double beta_of(std::size_t i, std::size_t n) const noexcept;
  const parameters& params() const noexcept { return p_; }

 private:
  bool has_syn() const noexcept { return p_.tau_syn > 0.0; }
  parameters p_;
  double alpha_ = 0, c_in_ = 0, alpha_syn_ = 0, p21_ = 0, rho_ = 0;
  int n_ref_ = 0;
};

}  // namespace chaoschip::models
