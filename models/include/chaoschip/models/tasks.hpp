#pragma once
// The study's tasks (docs/study.md, docs/tasks.md), generated in C++ from the seed: every
// sequence is a pure function of (seed, task name, sequence index).
#include <cstdint>
#include <memory>
#include <string_view>

#include "chaoschip/models/task.hpp"

namespace chaoschip::models {

struct task_params {
  std::size_t n_in = 100;
  std::size_t n_out = 1;
  std::size_t steps = 1000;  // sequence length
  double dt_ms = 1.0;
  double input_rate_hz = 50.0;  // base rate of the input spike channels
  std::int64_t delay = 50;      // steps
  double coherence = 0.5;       // decision
  std::uint64_t seed = 1;
};

// "evidence" | "decision" | "dms" | "copy" | "delayed_xor" (sine and file are made
// elsewhere). parameter_error naming the config key (e.g. network.n_out, task.delay) when
// the parameters do not fit the task.
std::unique_ptr<task> make_generated_task(std::string_view name, const task_params& p);

}  // namespace chaoschip::models
