#include "chaoschip/models/nir_lif.hpp"

namespace chaoschip::models {

std::pair<nir::leaky_propagator, Eigen::Index> nir_lif::lower(const parameters& p, double dt) {
  nir::require_dt(dt);
  nir::validate(p.threshold);
  auto prop = nir::lower_leaky(p.tau, p.v_leak, p.r, dt, p.scheme);
  return {std::move(prop), nir::common_size({{"neuron.tau", &p.tau},
                                             {"neuron.r", &p.r},
                                             {"neuron.v_leak", &p.v_leak},
                                             {"neuron.v_threshold", &p.threshold.v_threshold},
                                             {"neuron.v_reset", &p.threshold.v_reset}})};
}

nir_lif::nir_lif(const parameters& p, double dt) : spiking_leaky(p, lower(p, dt)) {}

}  // namespace chaoschip::models
