#include "chaoschip/io/memory.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::io {

double memory_estimate::total() const {
  double sum = 0.0;
  for (const auto& p : parts) sum += p.bytes;
  return sum;
}

void memory_estimate::add(std::string what, std::string keys, double bytes) {
  parts.push_back({std::move(what), std::move(keys), bytes});
}

double mem_available(const std::string& meminfo) {
  std::ifstream in(meminfo);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("MemAvailable:")) continue;
    std::istringstream fields(line.substr(13));
    double kb = -1.0;
    std::string unit;
    if (fields >> kb >> unit && unit == "kB" && kb >= 0.0) return kb * 1024.0;
    return -1.0;
  }
  return -1.0;
}

std::string format_bytes(double bytes) {
  static constexpr const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (u < 4 && bytes >= 1000.0) {
    bytes /= 1000.0;
    ++u;
  }
  if (bytes >= 1e4) return fmt::format("{:.2g} {}", bytes, units[u]);
  return fmt::format("{:.{}f} {}", bytes, bytes < 10.0 && u > 0 ? 1 : 0, units[u]);
}

void require_memory(const memory_estimate& e, double available, const std::string& command) {
  const double total = e.total();
  if (available < 0.0 || total <= available) return;
  std::vector<memory_part> parts = e.parts;
  std::sort(parts.begin(), parts.end(),
            [](const memory_part& a, const memory_part& b) { return a.bytes > b.bytes; });
  std::string largest;
  for (std::size_t i = 0; i < parts.size() && i < 2; ++i) {
    if (i > 0 && parts[i].bytes < 0.01 * total) break;
    largest += fmt::format("{}{} {} ({})", i ? "; " : "", parts[i].what,
                           format_bytes(parts[i].bytes), parts[i].keys);
  }
  throw input_error(
      fmt::format("{} needs about {} of memory, more than the {} this machine has available "
                  "(MemAvailable): {}; make these smaller",
                  command, format_bytes(total), format_bytes(available), largest));
}

}  // namespace chaoschip::io
