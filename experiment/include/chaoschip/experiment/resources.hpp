#pragma once
// What a command will need before it allocates anything: the memory of its large parts
// (weights, recorded states and spikes, task inputs, the Lyapunov tangent space, a sweep's
// table) from the config alone, the memory the machine has (MemAvailable), and the size of
// the output file. A run that cannot fit stops with an input_error naming the keys and
// both sizes (exit 2) instead of dying in an allocation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "chaoschip/io/config.hpp"
#include "chaoschip/io/memory.hpp"

namespace chaoschip::experiment {

// `chaoschip run` (and each setting of `whatif`): weights with their copies and optimizer
// state, the task's sequences, the learning rules' per-sequence trajectory, recorded
// states and spikes (recurrent neurons assumed to fire at most at task.input_rate or
// 20 Hz), and the Lyapunov measurements of [lyapunov].when.
io::memory_estimate estimate_run(const io::run_config& c);
// One spectrum (`chaoschip lyapunov` on a config or run file); `trajectory`: the states
// are kept (record.states on a config).
io::memory_estimate estimate_lyapunov(const io::run_config& c, bool trajectory);
// A sweep: its table of `points` points, and `jobs` points at once each as estimate_run.
// `points` is a double: grids x seeds can exceed any integer type.
io::memory_estimate estimate_sweep(double points, std::size_t axes, std::int64_t seeds,
                                   const io::run_config& point, std::size_t jobs);

}  // namespace chaoschip::experiment
