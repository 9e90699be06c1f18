#include "chaoschip/models/nir_lif.hpp"

#include <algorithm>

namespace chaoschip::models {

nir_lif::nir_lif(const parameters& p, double dt) : p_(p) {
  nir::require_dt(dt);
  nir::validate(p.threshold);
  prop_ = nir::lower_leaky(p.tau, p.v_leak, p.r, dt, p.scheme);
  size_ = nir::common_size({{"neuron.tau", &p.tau},
                            {"neuron.r", &p.r},
                            {"neuron.v_leak", &p.v_leak},
                            {"neuron.v_threshold", &p.threshold.v_threshold},
                            {"neuron.v_reset", &p.threshold.v_reset}});
}

nir_lif::state nir_lif::make_state(std::size_t n) const {
  nir::require_population_size("nir_lif", size_, n);
  const auto m = static_cast<Eigen::Index>(n);
  state s{Eigen::ArrayXd::Zero(m),
          Eigen::ArrayXd::Zero(m),
          Eigen::ArrayXd::Zero(m),
          Eigen::ArrayXd::Zero(m),
          {}};
  s.spiking.reserve(n);
  return s;
}

void nir_lif::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  prop_.apply(s.v, input);
  nir::spike_and_reset(p_.threshold, s.v, s.v_pre, s.z, s.psi, s.spiking);
}

}  // namespace chaoschip::models
