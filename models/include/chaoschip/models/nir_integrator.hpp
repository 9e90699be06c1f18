#pragma once
// NIR's I (integrator): dv/dt = r I, no threshold; the graded output is v.
#include <string_view>
#include <utility>

#include <Eigen/Core>

#include "chaoschip/models/nir_leaky.hpp"

namespace chaoschip::models {

struct nir_integrator_parameters {
  Eigen::ArrayXd r = nir::uniform(1.0);
};

class nir_integrator : public nir::graded_leaky<nir_integrator, nir_integrator_parameters> {
 public:
  static constexpr std::string_view model_name = "integrator";
  nir_integrator(const parameters& p, double dt);

 private:
  // Checks p and dt, then the propagator and the parameters' common size.
  static std::pair<nir::leaky_propagator, Eigen::Index> lower(const parameters& p, double dt);
};

}  // namespace chaoschip::models
