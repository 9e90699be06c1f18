#pragma once
// Hardware what-if studies: the same network and input at float64 and at a list of
// weight precisions and roundings on the config's chip profile, compared with the float64
// run (spike-train distance, rate change, loss). The rows and their file: io/whatif_file.hpp.
#include <string>
#include <vector>

#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/whatif_file.hpp"

namespace chaoschip::experiment {

// Runs the reference (chip.profile = float64, float weights) and one run per
// (weight_bits, rounding) on the config's profile, all on io::whatif_config(config).
// Settings the profile cannot take (or bits < 0) are parameter_errors naming
// chip.weight_bits at --bits, raised before anything runs.
std::vector<io::whatif_row> run_whatif(const io::run_config& config,
                                       const io::whatif_options& options,
                                       const progress_fn& progress = {});
// The table as text, one line per setting.
std::string format_whatif(const std::vector<io::whatif_row>& rows);

}  // namespace chaoschip::experiment
