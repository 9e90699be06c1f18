#pragma once
// NIR's LIF: tau dv/dt = (v_leak - v) + r I, spike z = [v > v_threshold], reset in the same
// step (to v_reset, or by subtracting v_threshold); the stored v is after the reset (as
// NIR's reference trace, tests/data/nir/lif_norse_trace.csv). dt and tau in one unit.
#include <string_view>
#include <utility>

#include <Eigen/Core>

#include "chaoschip/models/nir_leaky.hpp"

namespace chaoschip::models {

struct nir_lif_parameters {
  Eigen::ArrayXd tau = nir::uniform(10.0);
  Eigen::ArrayXd r = nir::uniform(1.0);
  Eigen::ArrayXd v_leak = nir::uniform(0.0);
  nir::threshold_parameters threshold{};
  integrator scheme = integrator::exact;
};

class nir_lif : public nir::spiking_leaky<nir_lif, nir_lif_parameters> {
 public:
  static constexpr std::string_view model_name = "nir_lif";
  nir_lif(const parameters& p, double dt);

 private:
  // Checks p and dt, then the propagator and the parameters' common size.
  static std::pair<nir::leaky_propagator, Eigen::Index> lower(const parameters& p, double dt);
};

}  // namespace chaoschip::models
