#include "chaoschip/models/nir_integrator.hpp"

namespace chaoschip::models {

std::pair<nir::leaky_propagator, Eigen::Index> nir_integrator::lower(const parameters& p,
                                                                     double dt) {
  nir::require_dt(dt);
  auto prop = nir::lower_integrating(p.r, dt);
  return {std::move(prop), p.r.size()};
}

nir_integrator::nir_integrator(const parameters& p, double dt) : graded_leaky(p, lower(p, dt)) {}

}  // namespace chaoschip::models
