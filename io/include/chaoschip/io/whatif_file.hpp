#pragma once
// The rows of a hardware what-if study (experiment/whatif.hpp runs it), the config it
// simulates, and its HDF5 file.
#include <cstdint>
#include <string>
#include <vector>

#include "chaoschip/io/config.hpp"

namespace chaoschip::io {

struct whatif_row {
  std::string profile;
  std::int64_t weight_bits = 0;  // 0: the float64 reference
  std::string rounding;
  double rate_hz = 0.0;      // mean rate of the recurrent layer
  double rate_change = 0.0;  // relative to the reference
  double distance = 0.0;     // normalised van Rossum distance to the reference (tau 10 ms)
  double loss = 0.0;         // mean task loss over the iterations (NaN without a target)
};

struct whatif_options {
  std::vector<std::int64_t> bits{16, 8, 6, 4, 2};
  std::vector<std::string> roundings{"nearest", "stochastic"};
  double tau_ms = 10.0;  // van Rossum kernel
};

// What a what-if simulates: the config without learning (train.rule = "none", flossing
// off); its iterations are sequences of the task. So any profile, xylo too, can be asked.
run_config whatif_config(const run_config& config);

// /whatif/{profile, weight_bits, rounding, rate_hz, rate_change, distance, loss}, with the
// usual root attributes (the base config, as whatif_config simulates it), written atomically.
void write_whatif(const std::string& path, const std::vector<whatif_row>& rows,
                  const run_config& config, const whatif_options& options);

}  // namespace chaoschip::io
