#pragma once
// The memory a command needs and the memory the machine has: parts with the keys that set
// their size, MemAvailable from /proc/meminfo, and the refusal (input_error naming the
// largest parts, exit 2) when the need exceeds what is available. The estimates of runs,
// spectra and sweeps from a config are experiment/resources.hpp.
#include <cstddef>
#include <string>
#include <vector>

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

// MemAvailable of a /proc/meminfo-format file, in bytes; a negative value when it cannot
// be read (then nothing is refused).
double mem_available(const std::string& meminfo = "/proc/meminfo");

// Throws input_error when e.total() exceeds `available` (>= 0), naming `command`, the
// largest parts with their keys and sizes, the total and the available memory.
void require_memory(const memory_estimate& e, double available, const std::string& command);

// "1.5 GB", "812 MB", "3.2e+06 TB": decimal units.
std::string format_bytes(double bytes);

}  // namespace chaoschip::io
