#include "chaoschip/models/lif.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

namespace {
void require(bool ok, const char* key, double value, const char* expected) {
  if (!ok) throw parameter_error(key, std::to_string(value), expected);
}
}  // namespace

lif::lif(const parameters& p, double dt) : p_(p) {
  require(dt > 0.0 && std::isfinite(dt), "network.dt", dt, "a number > 0");
  require(p.tau_m > 0.0 && std::isfinite(p.tau_m), "neuron.tau_m", p.tau_m, "a number > 0");
  require(p.tau_syn >= 0.0 && std::isfinite(p.tau_syn), "neuron.tau_syn", p.tau_syn,
          "a number >= 0");
  require(p.v_th > 0.0 && std::isfinite(p.v_th), "neuron.v_th", p.v_th, "a number > 0");
  require(p.t_ref >= 0.0 && std::isfinite(p.t_ref), "neuron.t_ref", p.t_ref, "a number >= 0");
  require(p.gamma > 0.0 && std::isfinite(p.gamma), "neuron.gamma", p.gamma, "a number > 0");
  require(std::isfinite(p.v_reset) && p.v_reset < p.v_th, "neuron.v_reset", p.v_reset,
          "a number below neuron.v_th");
  if (p.adaptive) {
    require(p.tau_a > 0.0 && std::isfinite(p.tau_a), "neuron.tau_a", p.tau_a, "a number > 0");
    require(std::isfinite(p.beta), "neuron.beta", p.beta, "a finite number");
  }
  alpha_ = std::exp(-dt / p.tau_m);
  c_in_ = p.regular_spike_arrival ? 1.0 : 1.0 - alpha_;
  if (has_syn()) {
    alpha_syn_ = std::exp(-dt / p.tau_syn);
    // Exact propagator of tau_m dv/dt = -v + i_syn, tau_syn di/dt = -i over one step.
    p21_ = std::abs(p.tau_syn - p.tau_m) < 1e-12 * p.tau_m
               ? dt / p.tau_m * alpha_
               : p.tau_syn / (p.tau_syn - p.tau_m) * (alpha_syn_ - alpha_);
  }
  rho_ = p.adaptive ? std::exp(-dt / p.tau_a) : 0.0;
  n_ref_ = static_cast<int>(std::lround(p.t_ref / dt));
}

double lif::beta_of(std::size_t i, std::size_t n) const noexcept {
  if (!p_.adaptive) return 0.0;
  const std::size_t n_adapt = p_.n_adaptive < 0 ? n : static_cast<std::size_t>(p_.n_adaptive);
  return i + n_adapt >= n ? p_.beta : 0.0;
}

lif::state lif::make_state(std::size_t n) const {
  if (p_.adaptive && p_.n_adaptive > static_cast<std::int64_t>(n))
    throw parameter_error("neuron.n_adaptive", std::to_string(p_.n_adaptive),
                          "-1 or at most network.n_rec (" + std::to_string(n) + ")");
  const auto m = static_cast<Eigen::Index>(n);
  state s;
  s.v = Eigen::ArrayXd::Zero(m);
  s.i_syn = Eigen::ArrayXd::Zero(has_syn() ? m : 0);
  s.a = Eigen::ArrayXd::Zero(p_.adaptive ? m : 0);
  s.z = Eigen::ArrayXd::Zero(m);
  s.psi = Eigen::ArrayXd::Zero(m);
  s.ref = Eigen::ArrayXi::Zero(m);
  s.spiking.reserve(n);
  return s;
}

namespace {
// NEST's e-prop neuron (delta synapses, reset by subtraction, no refractory period) in one
// pass the compiler vectorises (__restrict parameters: the arrays do not overlap), then the
// spike list without a data-dependent branch (spikes are rare and irregular, so a branch per
// neuron would mispredict). The operations and their order are step_loop's, so the numbers
// are the same.
void eprop_neuron_arrays(double* __restrict v, double* __restrict psi, double* __restrict z,
                         const double* __restrict input, double alpha, double c_in, double v_th,
                         double h, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) {
    const double vi = alpha * v[i] + c_in * input[i] - v_th * z[i];
    psi[i] = h * std::max(1.0 - std::abs(vi - v_th) / v_th, 0.0);
    z[i] = vi >= v_th ? 1.0 : 0.0;
    v[i] = vi;
  }
}
std::size_t compact_spikes(const double* __restrict z, std::uint32_t* __restrict out,
                           Eigen::Index n) {
  // 64 neurons' spike flags as one word, then one iteration per spike: the only branches
  // are the words' loop exits.
  std::size_t count = 0;
  for (Eigen::Index base = 0; base < n; base += 64) {
    const Eigen::Index m = std::min<Eigen::Index>(64, n - base);
    std::uint64_t bits = 0;
    for (Eigen::Index k = 0; k < m; ++k)
      bits |= static_cast<std::uint64_t>(z[base + k] != 0.0 ? 1 : 0) << k;
    for (; bits != 0; bits &= bits - 1)
      out[count++] = static_cast<std::uint32_t>(base + std::countr_zero(bits));
  }
  return count;
}

// The step loop, specialised on the loop-invariant options so that the common cases
// (delta synapses, no adaptation) compile to a tight loop over raw arrays.
template <bool Syn, bool Adaptive, reset_mode Reset>
void step_loop(const lif& m, lif::state& s, const double* input) {
  const auto& p = m.params();
  const Eigen::Index n = s.v.size();
  const double v_th = p.v_th, h = p.gamma / v_th, v_reset = p.v_reset;
  const double alpha = m.alpha(), c_in = m.c_in(), alpha_syn = m.alpha_syn(), p21 = m.p21(),
               rho = m.rho();
  const int n_ref = m.refractory_steps();
  double* __restrict v_arr = s.v.data();
  double* __restrict z_arr = s.z.data();
  double* __restrict psi_arr = s.psi.data();
  int* __restrict ref_arr = s.ref.data();
  double* __restrict isyn_arr = Syn ? s.i_syn.data() : nullptr;
  double* __restrict a_arr = Adaptive ? s.a.data() : nullptr;
  const std::size_t n_adapt_from =
      Adaptive ? static_cast<std::size_t>(n) - (p.n_adaptive < 0
                                                    ? static_cast<std::size_t>(n)
                                                    : static_cast<std::size_t>(p.n_adaptive))
               : 0;
  s.spiking.clear();
  for (Eigen::Index i = 0; i < n; ++i) {
    double v = v_arr[i];
    const bool spiked = z_arr[i] != 0.0;
    double drive;
    if constexpr (Syn) {
      drive = p21 * isyn_arr[i];
      isyn_arr[i] = alpha_syn * isyn_arr[i] + input[i];
    } else {
      drive = c_in * input[i];
    }
    int ref = ref_arr[i];
    bool refractory;
    if constexpr (Reset == reset_mode::subtract) {
      if (ref > 0) --ref;
      refractory = ref > 0;
      v = alpha * v + drive - v_th * (spiked ? 1.0 : 0.0);
    } else {
      if (spiked) v = v_reset;
      refractory = ref > 0;
      if (refractory)
        --ref;  // held at v_reset, input discarded
      else
        v = alpha * v + drive;
    }
    double theta = v_th;
    if constexpr (Adaptive) {
      a_arr[i] = rho * a_arr[i] + (spiked ? 1.0 : 0.0);
      if (static_cast<std::size_t>(i) >= n_adapt_from) theta += p.beta * a_arr[i];
    }
    const bool fire = !refractory && v >= theta;
    psi_arr[i] = refractory ? 0.0 : h * std::max(0.0, 1.0 - std::abs(v - theta) / v_th);
    z_arr[i] = fire ? 1.0 : 0.0;
    v_arr[i] = v;
    if (fire) {
      ref = n_ref;
      s.spiking.push_back(static_cast<std::uint32_t>(i));
    }
    ref_arr[i] = ref;
  }
}
}  // namespace

void lif::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  const double* in = input.data();
  const bool value = p_.reset == reset_mode::value;
  if (!has_syn() && !p_.adaptive && !value && n_ref_ <= 1) {
    // NEST's e-prop neuron (delta synapses, reset by subtraction, no refractory period).
    const Eigen::Index n = s.v.size();
    eprop_neuron_arrays(s.v.data(), s.psi.data(), s.z.data(), in, alpha_, c_in_, p_.v_th,
                        p_.gamma / p_.v_th, n);
    s.spiking.resize(static_cast<std::size_t>(n));  // room for all; shrunk to the count
    s.spiking.resize(compact_spikes(s.z.data(), s.spiking.data(), n));
    return;
  }
  if (has_syn()) {
    if (p_.adaptive)
      value ? step_loop<true, true, reset_mode::value>(*this, s, in)
            : step_loop<true, true, reset_mode::subtract>(*this, s, in);
    else
      value ? step_loop<true, false, reset_mode::value>(*this, s, in)
            : step_loop<true, false, reset_mode::subtract>(*this, s, in);
  } else {
    if (p_.adaptive)
      value ? step_loop<false, true, reset_mode::value>(*this, s, in)
            : step_loop<false, true, reset_mode::subtract>(*this, s, in);
    else
      value ? step_loop<false, false, reset_mode::value>(*this, s, in)
            : step_loop<false, false, reset_mode::subtract>(*this, s, in);
  }
}

std::size_t lif::tangent_dim(std::size_t n) const noexcept {
  return n * (1 + (has_syn() ? 1 : 0) + (p_.adaptive ? 1 : 0));
}

void lif::jacobian_apply(const state& s, const projection* w, Eigen::Ref<Eigen::MatrixXd> q) const {
  const Eigen::Index n = s.v.size(), k = q.cols();
  const Eigen::Index off_i = n, off_a = has_syn() ? 2 * n : n;
  const auto dv = q.topRows(n);
  // Surrogate spike perturbation dz = psi (dv - beta da).
  Eigen::MatrixXd dz = s.psi.matrix().asDiagonal() * dv;
  Eigen::ArrayXd beta(n);
  if (p_.adaptive) {
    for (Eigen::Index i = 0; i < n; ++i)
      beta[i] = beta_of(static_cast<std::size_t>(i), static_cast<std::size_t>(n));
    dz -= (s.psi * beta).matrix().asDiagonal() * q.middleRows(off_a, n);
  }
  Eigen::MatrixXd wdz = Eigen::MatrixXd::Zero(n, k);
  if (w) w->apply(dz, wdz);

  // The next step's refractory hold (reset = value) is known from the current counter.
  Eigen::MatrixXd dv_next(n, k);
  if (p_.reset == reset_mode::subtract) {
    dv_next = alpha_ * dv - p_.v_th * dz;
  } else {
    // v_next = alpha (v + z (v_reset - v)) + drive, or v_reset while held.
    const Eigen::ArrayXd keep = 1.0 - s.z + s.psi * (p_.v_reset - s.v);
    dv_next = alpha_ * (keep.matrix().asDiagonal() * dv);
    if (p_.adaptive)
      dv_next -= alpha_ * ((s.psi * beta * (p_.v_reset - s.v)).matrix().asDiagonal() *
                           q.middleRows(off_a, n));
  }
  if (has_syn()) {
    dv_next += p21_ * q.middleRows(off_i, n);
    q.middleRows(off_i, n) = alpha_syn_ * q.middleRows(off_i, n) + wdz;
  } else {
    dv_next += c_in_ * wdz;
  }
  if (p_.reset == reset_mode::value)
    for (Eigen::Index i = 0; i < n; ++i)
      if (s.ref[i] > 0) dv_next.row(i).setZero();
  if (p_.adaptive) q.middleRows(off_a, n) = rho_ * q.middleRows(off_a, n) + dz;
  q.topRows(n) = dv_next;
}

void lif::weight_factor_pre(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& q,
                            Eigen::Ref<Eigen::MatrixXd> pre) const {
  const Eigen::Index n = s.v.size();
  pre = s.psi.matrix().asDiagonal() * q.topRows(n);
  if (p_.adaptive) {
    const Eigen::Index off_a = has_syn() ? 2 * n : n;
    Eigen::ArrayXd beta(n);
    for (Eigen::Index i = 0; i < n; ++i)
      beta[i] = beta_of(static_cast<std::size_t>(i), static_cast<std::size_t>(n));
    pre -= (s.psi * beta).matrix().asDiagonal() * q.middleRows(off_a, n);
  }
}

void lif::weight_factor_post(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& m,
                             Eigen::Ref<Eigen::MatrixXd> post) const {
  const Eigen::Index n = s.v.size();
  if (has_syn()) {
    post = m.middleRows(n, n);
    return;
  }
  post = c_in_ * m.topRows(n);
  if (p_.reset == reset_mode::value)
    for (Eigen::Index i = 0; i < n; ++i)
      if (s.ref[i] > 0) post.row(i).setZero();
}

void lif::derive_from_membrane(state& s) const {
  // What a step leaves besides v and a: the spikes (v >= threshold) and the pseudo-
  // derivative, with the step's formulas. Refractory counters are not part of a recorded
  // state and are cleared.
  const Eigen::Index n = s.v.size();
  const double h = p_.gamma / p_.v_th;
  const std::size_t n_adapt_from =
      p_.adaptive ? static_cast<std::size_t>(n) - (p_.n_adaptive < 0
                                                       ? static_cast<std::size_t>(n)
                                                       : static_cast<std::size_t>(p_.n_adaptive))
                  : static_cast<std::size_t>(n);
  s.spiking.clear();
  for (Eigen::Index i = 0; i < n; ++i) {
    double theta = p_.v_th;
    if (p_.adaptive && static_cast<std::size_t>(i) >= n_adapt_from) theta += p_.beta * s.a[i];
    const double v = s.v[i];
    s.psi[i] = h * std::max(0.0, 1.0 - std::abs(v - theta) / p_.v_th);
    s.z[i] = v >= theta ? 1.0 : 0.0;
    s.ref[i] = 0;
    if (s.z[i] != 0.0) s.spiking.push_back(static_cast<std::uint32_t>(i));
  }
}

}  // namespace chaoschip::models
