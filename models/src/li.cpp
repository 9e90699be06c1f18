#include "chaoschip/models/li.hpp"

namespace chaoschip::models {

std::pair<nir::leaky_propagator, Eigen::Index> li::lower(const parameters& p, double dt) {
  nir::require_dt(dt);
  auto prop = nir::lower_leaky(p.tau, p.v_leak, p.r, dt, p.scheme);
  return {
      std::move(prop),
      nir::common_size({{"neuron.tau", &p.tau}, {"neuron.r", &p.r}, {"neuron.v_leak", &p.v_leak}})};
}

li::li(const parameters& p, double dt) : graded_leaky(p, lower(p, dt)) {}

}  // namespace chaoschip::models
