#pragma once
// One run, from a validated config to the data of a run file: initial weights, the
// network (input -> recurrent -> readout), the task, the simulation loop, recording.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "chaoschip/core/network.hpp"
#include "chaoschip/core/thread_pool.hpp"
#include "chaoschip/experiment/checkpointer.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"
#include "chaoschip/models/task.hpp"
#include "chaoschip/neuromorphic/mapping.hpp"

namespace chaoschip::experiment {

struct progress_info {
  std::int64_t iteration = 0;  // current (1-based)
  std::int64_t iterations = 0;
  std::int64_t steps_done = 0;
  std::int64_t steps_total = 0;
  double loss = 0.0;      // of the last finished iteration (NaN before the first)
  bool finished = false;  // the last report of the run
};
using progress_fn = std::function<void(const progress_info&)>;

// The network of a run. Populations "input" (spike source), "recurrent" (the model),
// "readout" (leaky readout); weights [post, pre].
struct built_network {
  network net;
  population_id input = 0, recurrent = 0, readout = 0;
  std::size_t in_rec = 0, rec_rec = 0, rec_out = 0;  // connection indices
  // The chip's integer parameters and weights when the profile quantises weights.
  std::optional<neuromorphic::chip_mapping> chip;
};

// Checks what parsing cannot (chip profile, what this build implements), throwing
// parameter_error naming the key.
void check_supported(const io::run_config& config);
// Initial weights per network.init (named random streams "weights.in", "weights.rec",
// "weights.out", "weights.feedback" of the master seed, or the case file).
io::weight_set make_initial_weights(const io::run_config& config);
// The task per [task] (sine, none, file).
std::unique_ptr<models::task> make_task(const io::run_config& config);
built_network build_network(const io::run_config& config, const io::weight_set& weights);
// The float recurrent population per network.model and [neuron] (no chip kernel).
std::unique_ptr<population> make_recurrent(const io::run_config& config);
// A projection per network.connectivity (dense or CSR).
std::unique_ptr<projection> make_projection(const io::run_config& config, const Eigen::MatrixXd& w);

// Runs the experiment: train.iterations sequences of the task, the network reset before
// each (as NEST's e-prop models reset on update). Throws numerical_error on divergence.
// Measures the Lyapunov spectra per lyapunov.when (tangent blocks on `pool` if given).
// `control`: checkpoints, resuming from one, SIGINT (checkpoint.hpp); throws
// training_interrupted after writing the checkpoint on SIGINT.
io::run_data run_experiment(const io::run_config& config, const progress_fn& progress = {},
                        thread_pool* pool = nullptr, const training_control& control = {});

// The /chip/ parameters and integer weights of a mapping, for the run file.
io::chip_data chip_data_of(const neuromorphic::chip_mapping& mapping,
                       const neuromorphic::chip_profile& profile);

// The embedded default experiment of `chaoschip run` (TOML text).
std::string_view default_experiment_toml();

// The small gain study `chaoschip run` adds to its embedded default (docs/file_format.md): the
// default network trained with e-prop (Adam 5e-3, 30 iterations; then `overrides`, as
// --set) from gains 0.5, 2 and 8 on the float64 and the loihi profile. One row per point:
// network.gain, chip.profile, final_loss, lambda_max_before/after.
io::study_table default_study(const std::vector<std::string>& overrides, thread_pool* pool = nullptr,
                          const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace chaoschip::experiment
