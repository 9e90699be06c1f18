#include "chaoschip/models/readout.hpp"

#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

readout::readout(const parameters& p, double dt) {
  if (!(p.tau >= 0.0 && std::isfinite(p.tau)))
    throw parameter_error("readout.tau", std::to_string(p.tau), "a number >= 0");
  alpha_ = p.tau > 0.0 ? std::exp(-dt / p.tau) : 0.0;
  c_ = 1.0 - alpha_;
}

Eigen::VectorXd readout::variable(const state& s, std::string_view var) const {
  if (var == "y") return s.y;
  throw error("readout has no state variable '" + std::string(var) + "'");
}

void readout::set_variable(state& s, std::string_view var,
                           const Eigen::Ref<const Eigen::VectorXd>& value) const {
  if (var != "y") throw error("readout has no settable variable '" + std::string(var) + "'");
  s.y = value;
}

}  // namespace chaoschip::models
