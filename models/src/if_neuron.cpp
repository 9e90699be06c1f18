#include "chaoschip/models/if_neuron.hpp"

namespace chaoschip::models {

if_neuron::if_neuron(const parameters& p, double dt) : p_(p) {
  nir::require_dt(dt);
  nir::validate(p.threshold);
  prop_ = nir::lower_integrating(p.r, dt);
  size_ = nir::common_size({{"neuron.r", &p.r},
                            {"neuron.v_threshold", &p.threshold.v_threshold},
                            {"neuron.v_reset", &p.threshold.v_reset}});
}

if_neuron::state if_neuron::make_state(std::size_t n) const {
  nir::require_population_size("if_neuron", size_, n);
  const auto m = static_cast<Eigen::Index>(n);
  state s;
  s.v = Eigen::ArrayXd::Zero(m);
  s.v_pre = Eigen::ArrayXd::Zero(m);
  s.z = Eigen::ArrayXd::Zero(m);
  s.psi = Eigen::ArrayXd::Zero(m);
  s.spiking.reserve(n);
  return s;
}

void if_neuron::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  prop_.apply(s.v, input);
  nir::spike_and_reset(p_.threshold, s.v, s.v_pre, s.z, s.psi, s.spiking);
}

}  // namespace chaoschip::models
