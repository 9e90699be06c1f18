#include "chaoschip/models/cuba_lif.hpp"

namespace chaoschip::models {

cuba_lif::cuba_lif(const parameters& p, double dt) : p_(p) {
  nir::require_dt(dt);
  nir::validate(p.threshold);
  prop_ = nir::lower_cuba(p.cuba, dt, p.scheme);
  size_ = nir::common_size({{"neuron.tau_syn", &p.cuba.tau_syn},
                            {"neuron.tau_mem", &p.cuba.tau_mem},
                            {"neuron.r", &p.cuba.r},
                            {"neuron.v_leak", &p.cuba.v_leak},
                            {"neuron.w_in", &p.cuba.w_in},
                            {"neuron.v_threshold", &p.threshold.v_threshold},
                            {"neuron.v_reset", &p.threshold.v_reset}});
}

cuba_lif::state cuba_lif::make_state(std::size_t n) const {
  nir::require_population_size("cuba_lif", size_, n);
  const auto m = static_cast<Eigen::Index>(n);
  state s;
  s.v = Eigen::ArrayXd::Zero(m);
  s.i_syn = Eigen::ArrayXd::Zero(m);
  s.v_pre = Eigen::ArrayXd::Zero(m);
  s.z = Eigen::ArrayXd::Zero(m);
  s.psi = Eigen::ArrayXd::Zero(m);
  s.spiking.reserve(n);
  return s;
}

void cuba_lif::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  prop_.apply(s.v, s.i_syn, input);
  nir::spike_and_reset(p_.threshold, s.v, s.v_pre, s.z, s.psi, s.spiking);
}

}  // namespace chaoschip::models
