#include "chaoschip/neuromorphic/loihi.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::neuromorphic {

namespace {
void require(bool ok, const char* key, std::int64_t value, const char* expected) {
  if (!ok) throw parameter_error(key, std::to_string(value), expected);
}
// sign(x) * (|x| >> 12): Loihi's decay rounds toward zero.
std::int64_t decay12(std::int64_t x, std::int64_t factor) noexcept {
  const std::int64_t p = x * factor;
  return p < 0 ? -((-p) >> 12) : p >> 12;
}
}  // namespace

loihi_lif::loihi_lif(const parameters& p) : p_(p) {
  require(p.du >= 0 && p.du <= 4095, "chip.du", p.du, "an integer in [0, 4095]");
  require(p.dv >= 0 && p.dv <= 4095, "chip.dv", p.dv, "an integer in [0, 4095]");
  require(p.vth >= 0 && p.vth <= (std::int64_t{1} << 30), "chip.vth", p.vth,
          "an integer in [0, 2^30] (17 bits on Loihi)");
  require(p.bias_exp >= -30 && p.bias_exp <= 30, "chip.bias_exp", p.bias_exp,
          "an integer in [-30, 30]");
  require(p.state_bits >= 8 && p.state_bits <= 40, "chip.state_bits", p.state_bits,
          "an integer in [8, 40]");
  max_uv_ = std::int64_t{1} << (p.state_bits - 1);
  auto each = [](const int_array& a, const char* key, std::int64_t lo, std::int64_t hi,
                 const char* expected) {
    for (Eigen::Index i = 0; i < a.size(); ++i)
      require(a[i] >= lo && a[i] <= hi, key, a[i], expected);
  };
  each(p.du_n, "chip.du", 0, 4095, "an integer in [0, 4095]");
  each(p.dv_n, "chip.dv", 0, 4095, "an integer in [0, 4095]");
  each(p.vth_n, "chip.vth", 0, std::int64_t{1} << 30, "an integer in [0, 2^30] (17 bits on Loihi)");
  each(p.bias_exp_n, "chip.bias_exp", -30, 30, "an integer in [-30, 30]");
}

loihi_lif::state loihi_lif::make_state(std::size_t n) const {
  const auto m = static_cast<Eigen::Index>(n);
  for (const int_array* a : {&p_.du_n, &p_.dv_n, &p_.vth_n, &p_.bias_mant_n, &p_.bias_exp_n})
    if (a->size() != 0 && a->size() != m)
      throw error("loihi_lif: " + std::to_string(a->size()) + " per-neuron values for " +
                  std::to_string(n) + " neurons");
  state s{
      int_array::Zero(m), int_array::Zero(m), Eigen::ArrayXd::Zero(m), Eigen::ArrayXd::Zero(m), {}};
  s.spiking.reserve(n);
  return s;
}

void loihi_lif::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  if (p_.per_neuron()) return step_per_neuron(s, input);
  const std::int64_t du_factor = 4096 - (p_.du + 1), dv_factor = 4096 - p_.dv;
  const std::int64_t bias = p_.bias_exp >= 0 ? p_.bias_mant * (std::int64_t{1} << p_.bias_exp)
                                             : p_.bias_mant >> -p_.bias_exp;
  const std::int64_t vth = p_.vth * 64, max = max_uv_;
  s.spiking.clear();
  for (Eigen::Index i = 0; i < s.u.size(); ++i) {
    const auto a = static_cast<std::int64_t>(input[i]);
    const std::int64_t c = decay12(s.u[i], du_factor) + a * 64;
    // Lava's wrap: one conditional correction each way, the second tested on c.
    std::int64_t u = c > max ? c - 2 * max : c;
    if (c <= -max) u = c + 2 * max;
    s.u[i] = u;
    std::int64_t v = decay12(s.v[i], dv_factor) + u + bias;
    v = std::clamp(v, -(max - 1), max - 1);
    const double V = static_cast<double>(std::max<std::int64_t>(vth, 1));
    s.psi[i] = p_.gamma / V * std::max(0.0, 1.0 - std::abs(static_cast<double>(v) - V) / V);
    const bool fire = v > vth;
    s.z[i] = fire ? 1.0 : 0.0;
    if (fire) {
      v = 0;
      s.spiking.push_back(static_cast<std::uint32_t>(i));
    }
    s.v[i] = v;
  }
}

// The same arithmetic with each parameter read per neuron (an empty array: the scalar).
void loihi_lif::step_per_neuron(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  const Eigen::Index n = s.u.size();
  auto at = [](const int_array& a, std::int64_t scalar, Eigen::Index i) {
    return a.size() == 0 ? scalar : a[i];
  };
  const std::int64_t max = max_uv_;
  s.spiking.clear();
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::int64_t du_factor = 4096 - (at(p_.du_n, p_.du, i) + 1);
    const std::int64_t dv_factor = 4096 - at(p_.dv_n, p_.dv, i);
    const std::int64_t mant = at(p_.bias_mant_n, p_.bias_mant, i);
    const std::int64_t ex = at(p_.bias_exp_n, p_.bias_exp, i);
    const std::int64_t bias = ex >= 0 ? mant * (std::int64_t{1} << ex) : mant >> -ex;
    const std::int64_t vth = at(p_.vth_n, p_.vth, i) * 64;
    const auto a = static_cast<std::int64_t>(input[i]);
    const std::int64_t c = decay12(s.u[i], du_factor) + a * 64;
    std::int64_t u = c > max ? c - 2 * max : c;
    if (c <= -max) u = c + 2 * max;
    s.u[i] = u;
    std::int64_t v = std::clamp(decay12(s.v[i], dv_factor) + u + bias, -(max - 1), max - 1);
    const double V = static_cast<double>(std::max<std::int64_t>(vth, 1));
    s.psi[i] = p_.gamma / V * std::max(0.0, 1.0 - std::abs(static_cast<double>(v) - V) / V);
    const bool fire = v > vth;
    s.z[i] = fire ? 1.0 : 0.0;
    if (fire) {
      v = 0;
      s.spiking.push_back(static_cast<std::uint32_t>(i));
    }
    s.v[i] = v;
  }
}

loihi_dense::loihi_dense(Eigen::MatrixXd integer_weights, int weight_exp)
    : w_(std::move(integer_weights)), weight_exp_(weight_exp), acc_(w_.rows()) {
  for (Eigen::Index i = 0; i < w_.size(); ++i)
    if (w_.data()[i] != std::trunc(w_.data()[i]) || std::abs(w_.data()[i]) > 0x1p31)
      throw error("loihi_dense: weights must be integers");
  if (weight_exp < -24 || weight_exp > 24)
    throw parameter_error("chip.weight_exp", std::to_string(weight_exp), "an integer in [-24, 24]");
}

void loihi_dense::deliver_spikes(std::span<const std::uint32_t> spiking_pre,
                                 double* target) const noexcept {
  if (spiking_pre.empty()) return;
  acc_.setZero();
  for (std::uint32_t pre : spiking_pre) acc_ += w_.col(pre);
  for (Eigen::Index i = 0; i < acc_.size(); ++i)
    target[i] += static_cast<double>(shift(static_cast<std::int64_t>(acc_[i])));
}

void loihi_dense::deliver_rates(const Eigen::Ref<const Eigen::VectorXd>& x,
                                Eigen::Ref<Eigen::VectorXd> target) const {
  // Graded spikes (num_message_bits > 0): weights.dot(s) with integer payloads.
  acc_.noalias() = w_ * x;
  for (Eigen::Index i = 0; i < acc_.size(); ++i)
    target[i] += static_cast<double>(shift(static_cast<std::int64_t>(acc_[i])));
}

void loihi_dense::apply(const Eigen::Ref<const Eigen::MatrixXd>& in,
                        Eigen::Ref<Eigen::MatrixXd> out) const {
  out.noalias() = std::ldexp(1.0, weight_exp_) * (w_ * in);
}

void loihi_dense::apply_transpose(const Eigen::Ref<const Eigen::MatrixXd>& in,
                                  Eigen::Ref<Eigen::MatrixXd> out) const {
  out.noalias() = std::ldexp(1.0, weight_exp_) * (w_.transpose() * in);
}

Eigen::MatrixXd loihi_dense::to_dense() const {
  return std::ldexp(1.0, weight_exp_) * w_;
}

void loihi_dense::set_integer_weights(const Eigen::Ref<const Eigen::MatrixXd>& codes) {
  if (codes.rows() != w_.rows() || codes.cols() != w_.cols())
    throw error("loihi_dense::set_integer_weights: shape");
  for (Eigen::Index i = 0; i < codes.size(); ++i)
    if (codes.data()[i] != std::trunc(codes.data()[i]))
      throw error("loihi_dense::set_integer_weights: weights must be integers");
  w_ = codes;
  touch();
}

void loihi_dense::assign(const Eigen::Ref<const Eigen::MatrixXd>& w) {
  if (w.rows() != w_.rows() || w.cols() != w_.cols()) throw error("loihi_dense::assign: shape");
  w_ = (std::ldexp(1.0, -weight_exp_) * w).array().round().matrix();
  touch();
}

}  // namespace chaoschip::neuromorphic
