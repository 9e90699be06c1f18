#include "chaoschip/neuromorphic/fixed_graph_lif.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::neuromorphic {

fixed_graph_lif::fixed_graph_lif(const parameters& p) : p_(p) {
  validate(p.state, "chip.state_bits");
  if (p.decay_bits < 4 || p.decay_bits > 40)
    throw parameter_error("chip.decay_bits", std::to_string(p.decay_bits), "an integer in [4, 40]");
  if (p.multiply_rounding == rounding::stochastic)
    throw parameter_error("chip.state_rounding", "\"stochastic\"",
                          "a deterministic rounding for state arithmetic (nearest, toward_zero, "
                          "floor)");
  const int_array* all[] = {&p.alpha_syn, &p.alpha, &p.leak, &p.v_th, &p.v_reset};
  Eigen::Index m = 1;
  for (const auto* a : all) m = std::max(m, a->size());
  for (const auto* a : all) {
    if (a->size() != 1 && a->size() != m)
      throw error("fixed_graph_lif: parameters of different lengths");
    uniform_ = uniform_ && a->size() == 1;
  }
  if ((p.v_th < 1).any())
    throw parameter_error("chip.state_frac_bits", std::to_string(p.state.frac_bits),
                          "enough fractional bits to represent every v_threshold (a threshold "
                          "of 0 codes)");
}

std::int64_t fixed_graph_lif::mul(std::int64_t x, std::int64_t c) const noexcept {
  return multiply_shift(x, c, p_.decay_bits, p_.multiply_rounding);
}

fixed_graph_lif::state fixed_graph_lif::make_state(std::size_t n) const {
  const auto m = static_cast<Eigen::Index>(n);
  for (const int_array* a : {&p_.alpha_syn, &p_.alpha, &p_.leak, &p_.v_th, &p_.v_reset})
    if (a->size() != 1 && a->size() != m)
      throw error("fixed_graph_lif: " + std::to_string(a->size()) + " per-neuron values for " +
                  std::to_string(n) + " neurons");
  state s{
      int_array::Zero(m), int_array::Zero(m), Eigen::ArrayXd::Zero(m), Eigen::ArrayXd::Zero(m), {}};
  s.spiking.reserve(n);
  return s;
}

void fixed_graph_lif::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  if (uniform_)
    step_impl<true>(s, input);
  else
    step_impl<false>(s, input);
}

template <bool uniform>
void fixed_graph_lif::step_impl(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  auto at = [](const int_array& a, Eigen::Index i) { return uniform ? a[0] : a[i]; };
  s.spiking.clear();
  for (Eigen::Index i = 0; i < s.v.size(); ++i) {
    std::int64_t drive = static_cast<std::int64_t>(input[i]);
    if (p_.synapse) {
      s.i_syn[i] = fit(mul(s.i_syn[i], at(p_.alpha_syn, i)) + drive);
      drive = s.i_syn[i];
    }
    std::int64_t v = fit(mul(s.v[i], at(p_.alpha, i)) + drive + at(p_.leak, i));
    const std::int64_t th = at(p_.v_th, i);
    const auto thd = static_cast<double>(th);
    s.psi[i] = p_.gamma / thd * std::max(0.0, 1.0 - std::abs(static_cast<double>(v) - thd) / thd);
    const bool fire = v > th;
    s.z[i] = fire ? 1.0 : 0.0;
    if (fire) {
      v = p_.subtract ? fit(v - th) : at(p_.v_reset, i);
      s.spiking.push_back(static_cast<std::uint32_t>(i));
    }
    s.v[i] = v;
  }
}

}  // namespace chaoschip::neuromorphic
