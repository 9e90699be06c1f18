#include "chaoschip/neuromorphic/profile.hpp"

#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::neuromorphic {

namespace {
std::string quoted(std::string_view s) {
  return std::string("\"").append(s).append("\"");
}
void require(bool ok, const char* key, int value, const char* expected) {
  if (!ok) throw parameter_error(key, std::to_string(value), expected);
}
}  // namespace

std::string_view to_string(kernel_kind k) noexcept {
  return name_of(kernel_names, k);
}

std::string_view to_string(quantizer_kind q) noexcept {
  return name_of(quantizer_names, q);
}

std::string_view to_string(update_mode m) noexcept {
  return name_of(update_mode_names, m);
}

update_mode parse_update_mode(std::string_view name) {
  return parse_name(update_mode_names, name, "chip.update_mode");
}

kernel_kind parse_kernel(std::string_view name) {
  return parse_name(kernel_names, name, "chip.kernel");
}

quantizer_kind parse_quantizer(std::string_view name) {
  return parse_name(quantizer_names, name, "chip.quantizer");
}

const std::vector<chip_profile>& builtin_profiles() {
  using k = kernel_kind;
  using q = quantizer_kind;
  using r = rounding;
  static const std::vector<chip_profile> profiles = {
      {"float64", "ideal reference: IEEE double everywhere", k::float64, 0, q::none, 0, 0, 0, 0, 0,
       r::nearest, r::nearest, r::nearest, overflow::saturate, 0, 1},
      {"loihi",
       "Intel Loihi as Lava's bit-accurate PyLifModelBitAcc + PyDenseModelBitAcc: 8-bit "
       "weights with weight_exp, 24-bit u (wrap) and v (saturate), 12-bit decays",
       k::loihi, 8, q::lava, 24, 0, 7, 0, 12, r::nearest, r::toward_zero, r::stochastic,
       overflow::wrap, 16, 1},
      {"xylo",
       "SynSense Xylo as Rockpool's XyloSim (xylosim): 8-bit weights with weight_shift, "
       "16-bit saturating state, bit-shift decays, up to 31 spikes per step",
       k::xylo, 8, q::rockpool_global, 16, 0, 0, 0, 0, r::nearest, r::floor, r::nearest,
       overflow::saturate, 0, 31},
      {"spinnaker",
       "SpiNNaker-like: s16.15 state, u0.32 decay multiplies with truncation, 16-bit weights "
       "shifted into the state format",
       k::fixed, 16, q::shift, 32, 15, 16, 11, 32, r::toward_zero, r::floor, r::toward_zero,
       overflow::saturate, 0, 1},
  };
  return profiles;
}

const chip_profile* find_builtin(std::string_view name) {
  for (const auto& p : builtin_profiles())
    if (p.name == name) return &p;
  return nullptr;
}

void validate(const chip_profile& p) {
  require(p.weight_bits == 0 || (p.weight_bits >= 2 && p.weight_bits <= 32), "chip.weight_bits",
          p.weight_bits, "0 (float) or an integer in [2, 32]");
  require(p.state_bits == 0 || (p.state_bits >= 4 && p.state_bits <= 48), "chip.state_bits",
          p.state_bits, "0 (float) or an integer in [4, 48]");
  require(p.state_frac_bits >= 0 && (p.state_bits == 0 || p.state_frac_bits < p.state_bits),
          "chip.state_frac_bits", p.state_frac_bits, "an integer in [0, state_bits)");
  require(p.trace_bits == 0 || (p.trace_bits >= 2 && p.trace_bits <= 32), "chip.trace_bits",
          p.trace_bits, "0 (float) or an integer in [2, 32]");
  require(p.trace_frac_bits >= 0 && p.trace_frac_bits <= 32, "chip.trace_frac_bits",
          p.trace_frac_bits, "an integer in [0, 32]");
  require(p.decay_bits >= 0 && p.decay_bits <= 40, "chip.decay_bits", p.decay_bits,
          "an integer in [0, 40]");
  require(p.accumulator_bits >= 0 && p.accumulator_bits <= 48, "chip.accumulator_bits",
          p.accumulator_bits, "an integer in [0, 48]");
  require(p.max_spikes >= 1 && p.max_spikes <= 1024, "chip.max_spikes", p.max_spikes,
          "an integer in [1, 1024]");
  const bool quantised = p.weight_bits > 0;
  if (quantised != (p.quantizer != quantizer_kind::none))
    throw parameter_error("chip.quantizer", quoted(to_string(p.quantizer)),
                          quantised ? "a quantizer other than \"none\" when weight_bits > 0"
                                    : "\"none\" when weight_bits = 0 (float weights)");
  switch (p.kernel) {
    case kernel_kind::float64:
      require(p.state_bits == 0, "chip.state_bits", p.state_bits,
              "0 with kernel \"float64\" (use kernel = \"fixed\" for a fixed-point state)");
      break;
    case kernel_kind::fixed:
      require(p.state_bits >= 8, "chip.state_bits", p.state_bits,
              "an integer in [8, 48] with kernel \"fixed\"");
      require(p.decay_bits >= 4, "chip.decay_bits", p.decay_bits,
              "an integer in [4, 40] with kernel \"fixed\"");
      require(quantised, "chip.weight_bits", p.weight_bits, "> 0 with kernel \"fixed\"");
      break;
    case kernel_kind::loihi:
      require(p.weight_bits >= 1 && p.weight_bits <= 8, "chip.weight_bits", p.weight_bits,
              "an integer in [2, 8] with kernel \"loihi\" (num_weight_bits)");
      require(p.state_bits >= 8 && p.state_bits <= 40, "chip.state_bits", p.state_bits,
              "an integer in [8, 40] with kernel \"loihi\"");
      if (p.quantizer != quantizer_kind::lava)
        throw parameter_error("chip.quantizer", quoted(to_string(p.quantizer)),
                              "\"lava\" with kernel \"loihi\"");
      break;
    case kernel_kind::xylo:
      require(p.weight_bits >= 2 && p.weight_bits <= 16, "chip.weight_bits", p.weight_bits,
              "an integer in [2, 16] with kernel \"xylo\"");
      require(p.state_bits >= 8 && p.state_bits <= 24, "chip.state_bits", p.state_bits,
              "an integer in [8, 24] with kernel \"xylo\"");
      if (p.quantizer != quantizer_kind::rockpool_global &&
          p.quantizer != quantizer_kind::rockpool_channel)
        throw parameter_error("chip.quantizer", quoted(to_string(p.quantizer)),
                              "\"rockpool_global\" or \"rockpool_channel\" with kernel \"xylo\"");
      break;
  }
}

}  // namespace chaoschip::neuromorphic
