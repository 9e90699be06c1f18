#include "chaoschip/models/li.hpp"

namespace chaoschip::models {

li::li(const parameters& p, double dt) : p_(p) {
  nir::require_dt(dt);
  prop_ = nir::lower_leaky(p.tau, p.v_leak, p.r, dt, p.scheme);
  size_ =
      nir::common_size({{"neuron.tau", &p.tau}, {"neuron.r", &p.r}, {"neuron.v_leak", &p.v_leak}});
}

li::state li::make_state(std::size_t n) const {
  nir::require_population_size("li", size_, n);
  const auto m = static_cast<Eigen::Index>(n);
  state s;
  s.y = Eigen::VectorXd::Zero(m);
  return s;
}

void li::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  prop_.apply(s.y, input);
}

}  // namespace chaoschip::models
