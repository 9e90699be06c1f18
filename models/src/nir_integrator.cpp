#include "chaoschip/models/nir_integrator.hpp"

namespace chaoschip::models {

nir_integrator::nir_integrator(const parameters& p, double dt) : p_(p) {
  nir::require_dt(dt);
  prop_ = nir::lower_integrating(p.r, dt);
  size_ = p.r.size();
}

nir_integrator::state nir_integrator::make_state(std::size_t n) const {
  nir::require_population_size("integrator", size_, n);
  const auto m = static_cast<Eigen::Index>(n);
  state s;
  s.y = Eigen::VectorXd::Zero(m);
  return s;
}

void nir_integrator::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  prop_.apply(s.y, input);
}

}  // namespace chaoschip::models
