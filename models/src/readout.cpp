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

}  // namespace chaoschip::models
