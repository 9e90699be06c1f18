#pragma once
// The files of a sweep (docs/sweep.md): what a sweep is made of (grid axes, points), the
// note a failed point leaves (DIR/point_NNNN.h5.failed), and DIR/summary.h5 (a table of
// every point plus HDF5 external links to the point files) and DIR/summary.csv, read back
// from the point files. Running the points is experiment/sweep.hpp.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "chaoschip/io/config.hpp"

namespace chaoschip::io {

// One --grid KEY=V1,V2,...: values are TOML values.
struct grid_axis {
  std::string key;
  std::vector<std::string> values;
};

struct sweep_spec {
  std::string config;                  // CONFIG.toml
  std::vector<std::string> overrides;  // --set, applied before the grid values
  std::vector<grid_axis> grid;
  std::int64_t seeds = 1;  // seeds seed, seed + 1, ... (seed: the config's master seed)
  std::string dir = "sweep";
};

struct sweep_point {
  std::size_t index = 0;
  std::vector<std::string> values;  // one per grid axis, as given
  std::int64_t seed = 0;
  std::string file;  // name inside dir: point_0000.h5
};

// Writes `text` to `path` through write(2) under a temporary name, then renames it: a full
// disk is a file_error and leaves nothing behind.
void write_text_atomically(const std::filesystem::path& path, const std::string& text);

// The files a sweep reads for its base config: the config and what it names.
std::vector<std::string> sweep_inputs(const sweep_spec& spec, const run_config& cfg);

// Reads every point back from the directory (run files, .failed notes) and writes
// summary.h5 and summary.csv atomically.
struct sweep_outcome {
  std::size_t failed = 0;  // points without a run file (failed or never run)
  int exit_code = 0;       // 0; else 2 if a point had bad input, 3 if one diverged, else 1
};
sweep_outcome write_summary(const sweep_spec& spec, const std::vector<sweep_point>& points);

}  // namespace chaoschip::io
