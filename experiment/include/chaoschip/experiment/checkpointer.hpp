#pragma once
// Training that survives being killed, the control side: what evolves across training
// iterations (by pointer into the trainer's state), capturing it into a checkpoint and
// restoring it, writing one every train.checkpoint_every iterations and on SIGINT. The
// checkpoint file itself is io/checkpoint.hpp.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <Eigen/Core>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/network.hpp"
#include "chaoschip/core/optimizer.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/io/checkpoint.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"
#include "chaoschip/neuromorphic/backend.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"
#include "chaoschip/neuromorphic/mapping.hpp"

namespace chaoschip::experiment {

// What evolves across training iterations: run_experiment's state, by pointer.
struct training_state {
  std::array<projection*, 3> projections{};            // w_in, w_rec, w_out
  const neuromorphic::backend* backend = nullptr;      // how the projections hold weights
  neuromorphic::chip_mapping* chip = nullptr;          // null without a chip mapping
  std::array<Eigen::MatrixXd, 2>* shadow = nullptr;    // null unless update_mode = shadow
  optimizer* train_optimizer = nullptr;                // [train]'s (3 slots)
  optimizer* floss_optimizer = nullptr;                // [floss]'s (2 slots)
  neuromorphic::stochastic_source* updates = nullptr;  // "chip.updates"
  std::int64_t *step = nullptr, *floss_epochs = nullptr, *chip_updates = nullptr;
  double* last_loss = nullptr;
  io::run_data* out = nullptr;  // the loss and flossing histories so far
  const network* net = nullptr;
  spike_recorder* spikes = nullptr;
  state_recorder* states = nullptr;
};
io::checkpoint capture_training(const training_state& s, const std::string& config_toml,
                                std::int64_t iteration, std::int64_t iterations);
// Puts a checkpoint's state into `s`; file_error naming `path` when shapes do not fit.
void restore_training(const io::checkpoint& c, const training_state& s, const std::string& path);

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
  std::string checkpoint_path;             // empty: no checkpoints (and no SIGINT handling)
  const io::checkpoint* resume = nullptr;  // continue from this checkpoint
  std::string resume_path;                 // its file, for messages
  bool catch_sigint = false;               // SIGINT during training: checkpoint, then throw
};

// run_experiment's side of training_control, for the duration of training: restores a
// checkpoint, writes one every train.checkpoint_every iterations and on SIGINT.
class checkpointer {
 public:
  checkpointer(const training_control& control, const training_state& state,
               const io::run_config& config, std::int64_t iterations);
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
  const io::run_config& config_;
  std::string config_toml_;
  std::int64_t every_, iterations_, first_ = 0;
  std::optional<sigint_watch> watch_;
};

}  // namespace chaoschip::experiment
