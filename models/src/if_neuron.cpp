#include "chaoschip/models/if_neuron.hpp"

namespace chaoschip::models {

std::pair<nir::leaky_propagator, Eigen::Index> if_neuron::lower(const parameters& p, double dt) {
  nir::require_dt(dt);
  nir::validate(p.threshold);
  auto prop = nir::lower_integrating(p.r, dt);
  return {std::move(prop), nir::common_size({{"neuron.r", &p.r},
                                             {"neuron.v_threshold", &p.threshold.v_threshold},
                                             {"neuron.v_reset", &p.threshold.v_reset}})};
}

if_neuron::if_neuron(const parameters& p, double dt) : spiking_leaky(p, lower(p, dt)) {}

}  // namespace chaoschip::models
