#pragma once
// Training that survives being killed: a checkpoint holds everything that evolves across
// training iterations (weights as the projections hold them, chip codes and shadow
// weights, optimizer state, the stochastic-rounding stream's position, counters, loss
// histories, what was recorded so far), so that a run resumed from it writes the same run
// file as the uninterrupted run. Checkpoints are HDF5 files written atomically (temporary
// name + rename); their layout is in docs/file_format.md ("Checkpoints").
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/network.hpp"
#include "chaoschip/core/optimizer.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"
#include "chaoschip/neuromorphic/mapping.hpp"

namespace chaoschip::io {

struct checkpoint {
  std::string config_toml;         // to_toml of the run's config
  std::int64_t iteration = 0;      // training iterations done
  std::int64_t iterations = 0;     // of the whole run
  std::int64_t step = 0;           // simulation steps done (the run's global step counter)
  std::int64_t floss_epochs = 0;   // flossing epochs done
  std::int64_t chip_updates = 0;   // chip weight updates done
  std::uint64_t update_calls = 0;  // calls of the "chip.updates" stochastic-rounding source
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  // w_in, w_rec, w_out as the projections hold them: float weights, state units (fixed
  // kernel) or Loihi's integer weights.
  std::array<Eigen::MatrixXd, 3> projections;
  std::vector<Eigen::MatrixXd> codes;   // w_in, w_rec chip codes; empty without a chip
  std::vector<Eigen::MatrixXd> shadow;  // w_in, w_rec float64 shadow weights, if any
  std::vector<optimizer::slot_state> train_optimizer, floss_optimizer;
  std::vector<double> train_loss, train_accuracy, floss_loss;
  std::vector<Eigen::VectorXd> floss_exponents;
  std::vector<std::int64_t> floss_iteration;
  std::map<std::string, spike_train_record> spikes;  // by population name
  // Recorded state values (row-major [steps, n]) by (population name, variable).
  std::map<std::pair<std::string, std::string>, std::vector<double>> states;
};

// Writes `path` atomically (file_error when it cannot be written).
void write_checkpoint(const std::string& path, const checkpoint& c);
// Throws file_error naming `path` when it is missing, not HDF5, not a chaoschip
// checkpoint, or incomplete.
checkpoint read_checkpoint(const std::string& path);
// Throws file_error naming `path` and the first differing key when `config` is not the
// config the checkpoint was written with (train.checkpoint_every may differ).
void check_same_config(const std::string& path, const checkpoint& c, const run_config& config);
// Removes the checkpoint at `path` and temporary files a killed writer left beside it.
void remove_checkpoint(const std::string& path);

}  // namespace chaoschip::io
