#pragma once
// One run, from a validated config to the data of a run file: the config lowered into a
// plan (plan.hpp), the network built (factory.hpp), trained or simulated (trainer.hpp),
// the Lyapunov spectra measured (lyapunov.hpp). Also the embedded default experiment of
// `chaoschip run` and its gain study.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chaoschip/core/thread_pool.hpp"
#include "chaoschip/experiment/checkpointer.hpp"
#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/experiment/trainer.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"

namespace chaoschip::experiment {

// Runs the experiment: lower (check_supported included), build, train; then the
// Lyapunov spectra per lyapunov.when (tangent blocks on `pool` if given). Throws
// numerical_error on divergence. `control`: checkpoints, resuming from one, SIGINT
// (checkpointer.hpp); throws training_interrupted after writing the checkpoint on SIGINT.
io::run_data run_experiment(const io::run_config& config, const progress_fn& progress = {},
                            thread_pool* pool = nullptr, const training_control& control = {});

// The embedded default experiment of `chaoschip run` (TOML text).
std::string_view default_experiment_toml();

// The small gain study `chaoschip run` adds to its embedded default (docs/file_format.md): the
// default network trained with e-prop (Adam 5e-3, 30 iterations; then `overrides`, as
// --set) from gains 0.5, 2 and 8 on the float64 and the loihi profile. One row per point:
// network.gain, chip.profile, final_loss, lambda_max_before/after.
io::study_table default_study(const std::vector<std::string>& overrides,
                              thread_pool* pool = nullptr,
                              const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace chaoschip::experiment
