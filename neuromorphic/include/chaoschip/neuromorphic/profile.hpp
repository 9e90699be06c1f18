#pragma once
// Chip profiles: the number formats a run's weights, states and traces live in.
// `float64` is the ideal reference. Fixed-point profiles (loihi, xylo, spinnaker and
// custom what-if chips) extend this registry.
#include <string>
#include <string_view>
#include <vector>

namespace chaoschip::neuromorphic {

struct profile_summary {
  std::string name;
  std::string description;
  int weight_bits = 0;  // 0 = floating point
  int state_bits = 0;
  int trace_bits = 0;
  std::string rounding;
  std::string overflow;
  bool available = false;  // implemented in this build
};

// Every built-in profile name the config accepts, with its key numbers.
const std::vector<profile_summary>& builtin_profiles();
// The profile of that name; parameter_error on chip.profile when unknown or unavailable.
const profile_summary& find_profile(std::string_view name);

}  // namespace chaoschip::neuromorphic
