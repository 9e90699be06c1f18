#include "chaoschip/models/activation.hpp"

#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

activation parse_activation(std::string_view name) {
  return parse_name(activation_names, name, "neuron.phi");
}

std::string_view to_string(activation a) noexcept {
  return name_of(activation_names, a);
}

}  // namespace chaoschip::models
