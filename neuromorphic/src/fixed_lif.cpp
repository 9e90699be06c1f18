#include "chaoschip/neuromorphic/fixed_lif.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::neuromorphic {

fixed_lif::fixed_lif(const parameters& p) : p_(p) {
  validate(p.state, "chip.state_bits");
  if (p.decay_bits < 4 || p.decay_bits > 40)
    throw parameter_error("chip.decay_bits", std::to_string(p.decay_bits), "an integer in [4, 40]");
  if (p.multiply_rounding == rounding::stochastic)
    throw parameter_error("chip.rounding", "\"stochastic\"",
                          "a deterministic rounding for state arithmetic (nearest, toward_zero, "
                          "floor); stochastic rounding applies to weights and updates");
}

std::int64_t fixed_lif::mul(std::int64_t x, std::int64_t c) const noexcept {
  return multiply_shift(x, c, p_.decay_bits, p_.multiply_rounding);
}

fixed_lif::state fixed_lif::make_state(std::size_t n) const {
  const auto m = static_cast<Eigen::Index>(n);
  state s{int_array::Zero(m),
          int_array::Zero(m),
          Eigen::ArrayXd::Zero(m),
          Eigen::ArrayXi::Zero(m),
          {},
          Eigen::ArrayXd::Zero(m)};
  s.spiking.reserve(n);
  return s;
}

void fixed_lif::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  const bool syn = p_.alpha_syn > 0;
  s.spiking.clear();
  for (Eigen::Index i = 0; i < s.v.size(); ++i) {
    const auto in = static_cast<std::int64_t>(input[i]);
    std::int64_t drive;
    if (syn) {
      drive = mul(s.i_syn[i], p_.p21);
      s.i_syn[i] = fit(mul(s.i_syn[i], p_.alpha_syn) + in);
    } else {
      drive = in;
    }
    const bool spiked = s.z[i] != 0.0;
    std::int64_t v = s.v[i];
    bool refractory;
    if (!p_.reset_to_value) {
      if (s.ref[i] > 0) --s.ref[i];
      refractory = s.ref[i] > 0;
      v = fit(mul(v, p_.alpha) + drive - (spiked ? p_.v_th : 0));
    } else {
      if (spiked) v = p_.v_reset;
      refractory = s.ref[i] > 0;
      if (refractory)
        --s.ref[i];
      else
        v = fit(mul(v, p_.alpha) + drive);
    }
    const bool fire = !refractory && v >= p_.v_th;
    const auto th = static_cast<double>(p_.v_th);
    s.psi[i] = refractory ? 0.0
                          : p_.gamma / th *
                                std::max(0.0, 1.0 - std::abs(static_cast<double>(v) - th) / th);
    s.z[i] = fire ? 1.0 : 0.0;
    s.v[i] = v;
    if (fire) {
      s.ref[i] = p_.refractory_steps;
      s.spiking.push_back(static_cast<std::uint32_t>(i));
    }
  }
}

}  // namespace chaoschip::neuromorphic
