#pragma once
// Shared pieces of the NIR neuron models (nir_lif, cuba_lif, if_neuron, nir_integrator, li,
// cuba_li): NIR's continuous-time equations integrated over one step with the summed input
// I held constant over the step. dt and every tau are in the same unit (the caller
// converts). Every parameter is an array with one value per neuron, or one value for all
// (the homogeneous fast path: scalar coefficients).
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/projection.hpp"
#include "chaoschip/models/lif.hpp"

namespace chaoschip::models {

// exact: zero-order hold, the closed-form solution of the linear ODEs over a step;
// euler: forward Euler (current-based: the synaptic current first, then the membrane with
// the new current, as snnTorch's Synaptic neuron).
enum class integrator { exact, euler };

namespace nir {

// A per-neuron parameter of one value (all neurons) or n values.
inline Eigen::ArrayXd uniform(double x) {
  return Eigen::ArrayXd::Constant(1, x);
}
// The value for neuron i (a one-value array is broadcast).
inline double at(const Eigen::ArrayXd& a, Eigen::Index i) noexcept {
  return a.size() == 1 ? a[0] : a[i];
}
// Broadcast to m values.
Eigen::ArrayXd widen(const Eigen::ArrayXd& a, Eigen::Index m);

// Checks: each value finite (and > 0 when `positive`), at least one value. key: config key.
void require_values(const char* key, const Eigen::ArrayXd& a, bool positive);
// The common size of the arrays (1 when all have one value); throws parameter_error naming
// the first array whose size is neither 1 nor the others' size.
Eigen::Index common_size(
    std::initializer_list<std::pair<const char*, const Eigen::ArrayXd*>> arrays);
// make_state's check: the parameters' size m is 1 or the population's n.
void require_population_size(const char* model, Eigen::Index m, std::size_t n);

// Threshold and reset of the spiking NIR neurons.
struct threshold_parameters {
  Eigen::ArrayXd v_threshold = uniform(1.0);
  Eigen::ArrayXd v_reset = uniform(0.0);
  reset_mode reset = reset_mode::value;
  double gamma = 0.3;  // pseudo-derivative height factor (as lif)
};
void validate(const threshold_parameters& p);

// z = [v > v_threshold] (strict), psi = gamma / v_th max(0, 1 - |v - v_th| / v_th) of the
// membrane before its reset, then the reset in the same step: v <- v_reset (value) or
// v <- v - v_threshold (subtract). The stored v is the value after the reset.
// v_pre keeps the membrane before the reset (the tangent space's coordinate).
void spike_and_reset(const threshold_parameters& p, Eigen::ArrayXd& v, Eigen::ArrayXd& v_pre,
                     Eigen::ArrayXd& z, Eigen::ArrayXd& psi, std::vector<std::uint32_t>& spiking);
// After v is set: taken as a membrane that has not spiked (v_pre = v, z = 0, psi of v).
void derive_unspiked(const threshold_parameters& p, const Eigen::ArrayXd& v, Eigen::ArrayXd& v_pre,
                     Eigen::ArrayXd& z, Eigen::ArrayXd& psi, std::vector<std::uint32_t>& spiking);

// The surrogate Jacobian of the spiking models, on the membrane before its reset: the spike
// z = [v_pre > v_th] replaced by a soft spike with derivative psi, so dz = psi dv and the
// reset's derivative is keep = 1 - v_th psi (subtract) or 1 - z + psi (v_reset - v_pre)
// (value). Graded models: keep = 1, dz = dv (their output is v itself).
struct surrogate {
  Eigen::ArrayXd keep;        // d v_post / d v_pre
  const Eigen::ArrayXd* psi;  // d z / d v_pre
};
surrogate surrogate_of(const threshold_parameters& p, const Eigen::ArrayXd& v_pre,
                       const Eigen::ArrayXd& z, const Eigen::ArrayXd& psi);

// One step of tau dv/dt = (v_leak - v) + r I:  v <- a v + c + k I.
struct leaky_propagator {
  Eigen::ArrayXd a, c, k;
  bool uniform = true;  // all of size 1
  template <class V>
  void apply(V& v, const Eigen::Ref<const Eigen::VectorXd>& in) const {
    if (uniform)
      v.array() = a[0] * v.array() + c[0] + k[0] * in.array();
    else
      v.array() = a * v.array() + c + k * in.array();
  }
};
leaky_propagator lower_leaky(const Eigen::ArrayXd& tau, const Eigen::ArrayXd& v_leak,
                             const Eigen::ArrayXd& r, double dt, integrator scheme);

// The Jacobian of a graded leaky step fed back through w (I = w v + external input):
// D = diag(a) + diag(k) w, applied to q (n x k).
// Spiking: D = diag(a keep) + diag(k) w diag(psi).
void leaky_jacobian_apply(const leaky_propagator& p, const projection* w,
                          Eigen::Ref<Eigen::MatrixXd> q, const surrogate* spike = nullptr);
// How w enters D (local flossing): pre = dz = psi q (q for graded models), post = k m.
void leaky_weight_factor_pre(const Eigen::ArrayXd* psi, const Eigen::Ref<const Eigen::MatrixXd>& q,
                             Eigen::Ref<Eigen::MatrixXd> pre);
void leaky_weight_factor_post(const leaky_propagator& p, const Eigen::Ref<const Eigen::MatrixXd>& m,
                              Eigen::Ref<Eigen::MatrixXd> post);

// One step of tau_syn di/dt = -i + w_in I, tau_mem dv/dt = v_leak - v + r i:
//   i' = ai i + bi I,   v' = av v + cv + k0 i + kI I + k1 i'
// exact: k1 = 0 (ZOH, degenerate form when tau_mem == tau_syn); euler: k0 = kI = 0.
struct cuba_propagator {
  Eigen::ArrayXd ai, bi, av, cv, k0, ki, k1;
  bool uniform = true;
  template <class V>
  void apply(V& v, Eigen::ArrayXd& i, const Eigen::Ref<const Eigen::VectorXd>& in) const {
    if (uniform) {
      const Eigen::ArrayXd i1 = ai[0] * i + bi[0] * in.array();
      v.array() = av[0] * v.array() + cv[0] + k0[0] * i + ki[0] * in.array() + k1[0] * i1;
      i = i1;
    } else {
      const Eigen::ArrayXd i1 = ai * i + bi * in.array();
      v.array() = av * v.array() + cv + k0 * i + ki * in.array() + k1 * i1;
      i = i1;
    }
  }
};
struct cuba_parameters {
  Eigen::ArrayXd tau_syn = uniform(5.0);
  Eigen::ArrayXd tau_mem = uniform(10.0);
  Eigen::ArrayXd r = uniform(1.0);
  Eigen::ArrayXd v_leak = uniform(0.0);
  Eigen::ArrayXd w_in = uniform(1.0);
};
// The Jacobian of a graded cuba step fed back through w (I = w v + external input), on the
// tangent space [v; i]: di' = ai di + bi w dv, dv' = av dv + k0 di + kI w dv + k1 di'.
// Spiking: dv_post = keep dv, and w dz with dz = psi dv in place of w dv.
void cuba_jacobian_apply(const cuba_propagator& p, const projection* w,
                         Eigen::Ref<Eigen::MatrixXd> q, const surrogate* spike = nullptr);
// pre = dz (psi dv, or dv), post = (kI + k1 bi) m_v + bi m_i.
void cuba_weight_factor_pre(const Eigen::ArrayXd* psi, const Eigen::Ref<const Eigen::MatrixXd>& q,
                            Eigen::Ref<Eigen::MatrixXd> pre);
void cuba_weight_factor_post(const cuba_propagator& p, const Eigen::Ref<const Eigen::MatrixXd>& m,
                             Eigen::Ref<Eigen::MatrixXd> post);
cuba_propagator lower_cuba(const cuba_parameters& p, double dt, integrator scheme);
// dv/dt = r I (IF, I): v' = v + dt r I, exact and Euler alike.
leaky_propagator lower_integrating(const Eigen::ArrayXd& r, double dt);
void require_dt(double dt);

}  // namespace nir
}  // namespace chaoschip::models
