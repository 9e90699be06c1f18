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

// What evolves across training iterations: run_experiment's state, by pointer.
struct training_state {
  std::array<projection*, 3> projections{};            // w_in, w_rec, w_out
  neuromorphic::chip_mapping* chip = nullptr;          // null without a chip mapping
  std::array<Eigen::MatrixXd, 2>* shadow = nullptr;    // null unless update_mode = shadow
  optimizer* train_optimizer = nullptr;                // [train]'s (3 slots)
  optimizer* floss_optimizer = nullptr;                // [floss]'s (2 slots)
  neuromorphic::stochastic_source* updates = nullptr;  // "chip.updates"
  std::int64_t *step = nullptr, *floss_epochs = nullptr, *chip_updates = nullptr;
  double* last_loss = nullptr;
  run_data* out = nullptr;  // the loss and flossing histories so far
  const network* net = nullptr;
  spike_recorder* spikes = nullptr;
  state_recorder* states = nullptr;
};
checkpoint capture_training(const training_state& s, const std::string& config_toml,
                            std::int64_t iteration, std::int64_t iterations);
// Puts a checkpoint's state into `s`; file_error naming `path` when shapes do not fit.
void restore_training(const checkpoint& c, const training_state& s, const std::string& path);

// Thrown when SIGINT arrived during training, after the checkpoint was written.
class training_interrupted : public error {
 public:
  training_interrupted(std::int64_t iteration, std::int64_t iterations, std::string checkpoint);
  std::int64_t iteration() const noexcept { return iteration_; }  // iterations done
  std::int64_t iterations() const noexcept { return iterations_; }
  const std::string& checkpoint_path() const noexcept { return path_; }

 private:
  std::int64_t iteration_, iterations_;
  std::string path_;
};

// While alive, SIGINT sets a flag instead of ending the process (a second SIGINT ends it
// as before); the previous handler is restored on destruction. One at a time.
class sigint_watch {
 public:
  sigint_watch();
  ~sigint_watch();
  sigint_watch(const sigint_watch&) = delete;
  sigint_watch& operator=(const sigint_watch&) = delete;
  bool raised() const noexcept;
};

// How run_experiment checkpoints: `chaoschip run` sets it; sweeps and studies do not.
struct training_control {
  std::string checkpoint_path;         // empty: no checkpoints (and no SIGINT handling)
  const checkpoint* resume = nullptr;  // continue from this checkpoint
  std::string resume_path;             // its file, for messages
  bool catch_sigint = false;           // SIGINT during training: checkpoint, then throw
};

// run_experiment's side of training_control, for the duration of training: restores a
// checkpoint, writes one every train.checkpoint_every iterations and on SIGINT.
class checkpointer {
 public:
  checkpointer(const training_control& control, const training_state& state,
               const run_config& config, std::int64_t iterations);
  // The iteration training starts at: 0, or the resumed checkpoint's (its state restored).
  std::int64_t start();
  bool resuming() const noexcept { return control_.resume != nullptr; }
  // Before iteration `done` (and with done = iterations after the last): writes a
  // checkpoint when due or when SIGINT arrived, then throws training_interrupted.
  void at(std::int64_t done);
  // Training is over: SIGINT ends the process again.
  void finish() { watch_.reset(); }

 private:
  const training_control& control_;
  training_state state_;
  const run_config& config_;
  std::string config_toml_;
  std::int64_t every_, iterations_, first_ = 0;
  std::optional<sigint_watch> watch_;
};

}  // namespace chaoschip::io
