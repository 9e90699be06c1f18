#pragma once
// NIR's LI: tau dv/dt = (v_leak - v) + r I, no threshold; the graded output is v.
#include <string_view>
#include <utility>

#include <Eigen/Core>

#include "chaoschip/models/nir_leaky.hpp"

namespace chaoschip::models {

struct li_parameters {
  Eigen::ArrayXd tau = nir::uniform(10.0);
  Eigen::ArrayXd r = nir::uniform(1.0);
  Eigen::ArrayXd v_leak = nir::uniform(0.0);
  integrator scheme = integrator::exact;
};

class li : public nir::graded_leaky<li, li_parameters> {
 public:
  static constexpr std::string_view model_name = "li";
  li(const parameters& p, double dt);

 private:
  // Checks p and dt, then the propagator and the parameters' common size.
  static std::pair<nir::leaky_propagator, Eigen::Index> lower(const parameters& p, double dt);
};

}  // namespace chaoschip::models
