#include "chaoschip/neuromorphic/profile.hpp"

#include "chaoschip/core/errors.hpp"

namespace chaoschip::neuromorphic {

const std::vector<profile_summary>& builtin_profiles() {
  static const std::vector<profile_summary> profiles = {
      {"float64", "ideal reference: IEEE double everywhere", 0, 0, 0, "none", "none", true},
      {"loihi", "Intel Loihi as Lava's bit-accurate models (PyLifModelBitAcc)", 8, 24, 7,
       "toward_zero", "wrap (u), saturate (v)", false},
      {"xylo", "SynSense Xylo as Rockpool's XyloSim", 8, 16, 0, "floor", "saturate", false},
      {"spinnaker", "SpiNNaker s16.15 state, u0.32 decays, truncation", 16, 32, 16, "toward_zero",
       "saturate", false},
  };
  return profiles;
}

const profile_summary& find_profile(std::string_view name) {
  std::string names;
  for (const auto& p : builtin_profiles()) {
    if (p.name == name) {
      if (!p.available)
        throw parameter_error("chip.profile", "\"" + std::string(name) + "\"",
                              "a profile available in this build (float64); fixed-point "
                              "profiles are not implemented yet");
      return p;
    }
    names += (names.empty() ? "" : ", ") + p.name;
  }
  throw parameter_error("chip.profile", "\"" + std::string(name) + "\"", "one of " + names);
}

}  // namespace chaoschip::neuromorphic
