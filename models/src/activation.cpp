#include "chaoschip/models/activation.hpp"

#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

activation parse_activation(std::string_view name) {
  if (name == "tanh") return activation::tanh;
  if (name == "relu") return activation::relu;
  if (name == "linear") return activation::linear;
  throw parameter_error("neuron.phi", "\"" + std::string(name) + "\"",
                        "one of \"tanh\", \"relu\", \"linear\"");
}

std::string_view to_string(activation a) noexcept {
  switch (a) {
    case activation::tanh:
      return "tanh";
    case activation::relu:
      return "relu";
    case activation::linear:
      return "linear";
  }
  return "?";
}

}  // namespace chaoschip::models
