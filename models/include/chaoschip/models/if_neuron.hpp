#pragma once
// NIR's IF: dv/dt = r I (exact and Euler agree), spike z = [v > v_threshold], reset in
// the same step; the stored v is after the reset.
#include <string_view>
#include <utility>

#include <Eigen/Core>

#include "chaoschip/models/nir_leaky.hpp"

namespace chaoschip::models {

struct if_neuron_parameters {
  Eigen::ArrayXd r = nir::uniform(1.0);
  nir::threshold_parameters threshold{};
};

class if_neuron : public nir::spiking_leaky<if_neuron, if_neuron_parameters> {
 public:
  static constexpr std::string_view model_name = "if_neuron";
  if_neuron(const parameters& p, double dt);

 private:
  // Checks p and dt, then the propagator and the parameters' common size.
  static std::pair<nir::leaky_propagator, Eigen::Index> lower(const parameters& p, double dt);
};

}  // namespace chaoschip::models
