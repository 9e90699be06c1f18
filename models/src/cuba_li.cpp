#include "chaoschip/models/cuba_li.hpp"

namespace chaoschip::models {

cuba_li::cuba_li(const parameters& p, double dt) : p_(p) {
  nir::require_dt(dt);
  prop_ = nir::lower_cuba(p.cuba, dt, p.scheme);
  size_ = nir::common_size({{"neuron.tau_syn", &p.cuba.tau_syn},
                            {"neuron.tau_mem", &p.cuba.tau_mem},
                            {"neuron.r", &p.cuba.r},
                            {"neuron.v_leak", &p.cuba.v_leak},
                            {"neuron.w_in", &p.cuba.w_in}});
}

cuba_li::state cuba_li::make_state(std::size_t n) const {
  nir::require_population_size("cuba_li", size_, n);
  const auto m = static_cast<Eigen::Index>(n);
  state s;
  s.y = Eigen::VectorXd::Zero(m);
  s.i_syn = Eigen::ArrayXd::Zero(m);
  return s;
}

void cuba_li::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  prop_.apply(s.y, s.i_syn, input);
}

}  // namespace chaoschip::models
