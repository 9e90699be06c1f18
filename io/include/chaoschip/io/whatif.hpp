#pragma once
// Hardware what-if studies: the same network and input at float64 and at a list of
// weight precisions and roundings on the config's chip profile, compared with the float64
// run (spike-train distance, rate change, loss).
#include <string>
#include <vector>

#include "chaoschip/io/config.hpp"
#include "chaoschip/io/experiment.hpp"

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

// Runs the reference (chip.profile = float64, float weights) and one run per
// (weight_bits, rounding) on the config's profile, all on whatif_config(config). Settings
// the profile cannot take (or bits < 0) are parameter_errors naming chip.weight_bits at
// --bits, raised before anything runs.
std::vector<whatif_row> run_whatif(const run_config& config, const whatif_options& options,
                                   const progress_fn& progress = {});
// The table as text, one line per setting.
std::string format_whatif(const std::vector<whatif_row>& rows);
// /whatif/{profile, weight_bits, rounding, rate_hz, rate_change, distance, loss}, with the
// usual root attributes (the base config, as whatif_config simulates it), written atomically.
void write_whatif(const std::string& path, const std::vector<whatif_row>& rows,
                  const run_config& config, const whatif_options& options);

}  // namespace chaoschip::io
