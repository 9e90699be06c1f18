#pragma once
// Chip profiles: the number formats and arithmetic a run's weights, states and traces
// live in. A profile is data: built in (float64, loihi, xylo, spinnaker), read from a TOML
// file (examples/chips/), and every field can be overridden in a config's [chip] section.
#include <string>
#include <string_view>
#include <vector>

#include "chaoschip/core/enum_names.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"

namespace chaoschip::neuromorphic {

// Which neuron arithmetic runs the recurrent layer.
enum class kernel_kind {
  float64,  // the float models (weights may still be quantised)
  fixed,    // generic fixed point (fixed_lif): SpiNNaker and custom what-if chips
  loihi,    // Lava's bit-accurate Loihi LIF and Dense
  xylo,     // xylosim's bit-accurate Xylo IAF
};
enum class quantizer_kind {
  none,
  per_tensor,
  per_row,
  shift,
  lava,
  rockpool_global,
  rockpool_channel
};

// Where learning updates accumulate (chips.md, "Low-precision learning").
enum class update_mode {
  direct,  // on the low-precision weights themselves: each update is rounded onto the grid
  shadow,  // on a float64 shadow copy; the chip's weights are the shadow re-quantised
};

struct chip_profile {
  std::string name;
  std::string description;
  kernel_kind kernel = kernel_kind::float64;
  int weight_bits = 0;  // 0: float weights
  quantizer_kind quantizer = quantizer_kind::none;
  int state_bits = 0;  // 0: float state
  int state_frac_bits = 0;
  int trace_bits = 0;  // learning traces (0: float)
  int trace_frac_bits = 0;
  int decay_bits = 0;  // decays as unsigned 0.decay_bits multipliers (0: exact / bit shift)
  rounding weight_rounding = rounding::nearest;  // float weights -> codes
  rounding state_rounding = rounding::nearest;   // multiplies and shifts of the state
  rounding update_rounding = rounding::nearest;  // learning updates -> weight codes
  overflow state_overflow = overflow::saturate;
  int accumulator_bits = 0;                   // learning-update accumulator (0: none)
  int max_spikes = 1;                         // spikes per neuron and step
  update_mode updates = update_mode::direct;  // where learning updates accumulate
  bool operator==(const chip_profile&) const = default;
};

// The names of the enums (config values, messages, `chaoschip chips`, docs).
inline constexpr enum_table<kernel_kind, 4> kernel_names{{{kernel_kind::float64, "float64"},
                                                          {kernel_kind::fixed, "fixed"},
                                                          {kernel_kind::loihi, "loihi"},
                                                          {kernel_kind::xylo, "xylo"}}};
inline constexpr enum_table<quantizer_kind, 7> quantizer_names{
    {{quantizer_kind::none, "none"},
     {quantizer_kind::per_tensor, "per_tensor"},
     {quantizer_kind::per_row, "per_row"},
     {quantizer_kind::shift, "shift"},
     {quantizer_kind::lava, "lava"},
     {quantizer_kind::rockpool_global, "rockpool_global"},
     {quantizer_kind::rockpool_channel, "rockpool_channel"}}};
inline constexpr enum_table<update_mode, 2> update_mode_names{
    {{update_mode::direct, "direct"}, {update_mode::shadow, "shadow"}}};

std::string_view to_string(kernel_kind k) noexcept;
std::string_view to_string(quantizer_kind q) noexcept;
std::string_view to_string(update_mode m) noexcept;
kernel_kind parse_kernel(std::string_view name);
quantizer_kind parse_quantizer(std::string_view name);
update_mode parse_update_mode(std::string_view name);

const std::vector<chip_profile>& builtin_profiles();
// nullptr when `name` is not a built-in profile.
const chip_profile* find_builtin(std::string_view name);
// Checks every field's range and the kernel's constraints (parameter_error on chip.<key>).
void validate(const chip_profile& p);

}  // namespace chaoschip::neuromorphic
