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

namespace chaoschip::io {

struct memory_part {
  std::string what;  // "recorded states"
  std::string keys;  // the keys that set its size, with their values
  double bytes = 0;  // doubles: 2^62 steps must not overflow
};

struct memory_estimate {
  std::vector<memory_part> parts;
  double output_bytes = 0;  // what the output file will hold (states, spikes, weights)
  double total() const;
  void add(std::string what, std::string keys, double bytes);
};

// `chaoschip run` (and each setting of `whatif`): weights with their copies and optimizer
// state, the task's sequences, the learning rules' per-sequence trajectory, recorded
// states and spikes (recurrent neurons assumed to fire at most at task.input_rate or
// 20 Hz), and the Lyapunov measurements of [lyapunov].when.
memory_estimate estimate_run(const run_config& c);
// One spectrum (`chaoschip lyapunov` on a config or run file); `trajectory`: the states
// are kept (record.states on a config).
memory_estimate estimate_lyapunov(const run_config& c, bool trajectory);
// A sweep: its table of `points` points, and `jobs` points at once each as estimate_run.
// `points` is a double: grids x seeds can exceed any integer type.
memory_estimate estimate_sweep(double points, std::size_t axes, std::int64_t seeds,
                               const run_config& point, std::size_t jobs);

// MemAvailable of a /proc/meminfo-format file, in bytes; a negative value when it cannot
// be read (then nothing is refused).
double mem_available(const std::string& meminfo = "/proc/meminfo");

// Throws input_error when e.total() exceeds `available` (>= 0), naming `command`, the
// largest parts with their keys and sizes, the total and the available memory.
void require_memory(const memory_estimate& e, double available, const std::string& command);

// "1.5 GB", "812 MB", "3.2e+06 TB": decimal units.
std::string format_bytes(double bytes);

}  // namespace chaoschip::io
