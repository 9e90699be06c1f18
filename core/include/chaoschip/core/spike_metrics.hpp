#pragma once
// Comparing spike trains: the normalised van Rossum distance and firing rates.
#include <cstdint>
#include <span>

namespace chaoschip {

// Spikes of one population: parallel arrays of step and neuron index, ascending in step.
struct spike_list {
  std::span<const std::int64_t> steps;
  std::span<const std::uint64_t> ids;
};

// Normalised van Rossum distance between two spike rasters of n neurons over `steps`
// steps: each train filtered with exp(-t/tau) (tau in steps, causal, on the grid), then
// D = sum_i ||f_i - g_i||^2 / sum_i (||f_i||^2 + ||g_i||^2), in [0, 1]: 0 for identical
// trains, 1 for trains with nothing in common (and 0 when both are empty).
double van_rossum_distance(const spike_list& a, const spike_list& b, std::size_t n,
                           std::int64_t steps, double tau_steps);

}  // namespace chaoschip
