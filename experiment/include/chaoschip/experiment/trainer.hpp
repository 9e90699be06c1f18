#pragma once
// The trainer: a built network run through train.iterations iterations of the task, each
// `batch` sequences (the network reset before each, as NEST's e-prop models reset on
// update), the gradients of the plan's rule applied by the weight updater, flossing epochs
// on the plan's schedule, checkpoints; then the result assembled into run data (final
// weights, chip codes, spikes, states).
#include <cstdint>
#include <functional>

#include "chaoschip/experiment/checkpointer.hpp"
#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/io/run_file.hpp"

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

// Trains (or only simulates, rule none) `b`, built from `p`. Throws numerical_error on
// divergence, training_interrupted after writing the checkpoint on SIGINT (`control`).
// The Lyapunov spectra are not measured here (run_experiment does).
io::run_data train(const plan& p, built_network& b, const progress_fn& progress = {},
                   const training_control& control = {});

}  // namespace chaoschip::experiment
