#pragma once
// Sweeps (docs/sweep.md): the cartesian product of grids x seeds, one run file per
// point in a directory, DIR/summary.h5 (a table of every point plus HDF5 external links to
// the point files) and DIR/summary.csv. Points are independent: they run on a thread pool,
// or are shared across MPI ranks by the caller (point i goes to rank i mod size).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chaoschip/core/thread_pool.hpp"

namespace chaoschip::io {

// One --grid KEY=V1,V2,...: values are TOML values, split at top-level commas (not inside
// strings, arrays or inline tables). Throws input_error naming --grid on a malformed spec.
struct grid_axis {
  std::string key;
  std::vector<std::string> values;
};
grid_axis parse_grid(const std::string& spec);

struct sweep_spec {
  std::string config;                  // CONFIG.toml
  std::vector<std::string> overrides;  // --set, applied before the grid values
  std::vector<grid_axis> grid;
  std::int64_t seeds = 1;  // seeds seed, seed + 1, ... (seed: the config's master seed)
  std::string dir = "sweep";
};

enum class point_state { done, reused, failed };

struct sweep_point {
  std::size_t index = 0;
  std::vector<std::string> values;  // one per grid axis, as given
  std::int64_t seed = 0;
  std::string file;  // name inside dir: point_0000.h5
};

struct point_result {
  point_state state = point_state::failed;
  std::string error;  // failed: the one-line message
  int exit_code = 0;  // failed: what `chaoschip run` would have returned (2, 3 or 1)
};

// Every point, grid-major (the first axis varies slowest), seeds innermost.
std::vector<sweep_point> expand(const sweep_spec& spec);

// Runs one point into dir/file, unless a complete file with the same resolved config is
// already there (resume). A failure leaves dir/file.failed with the message, and no run
// file. Never throws for the point's own errors.
point_result run_point(const sweep_spec& spec, const sweep_point& point);

// Reads every point back from the directory (run files, .failed notes) and writes
// summary.h5 and summary.csv atomically.
struct sweep_outcome {
  std::size_t failed = 0;  // points without a run file (failed or never run)
  int exit_code = 0;       // 0; else 2 if a point had bad input, 3 if one diverged, else 1
};
sweep_outcome write_summary(const sweep_spec& spec, const std::vector<sweep_point>& points);

// Runs the given points (indices into `points`) on the pool, reporting each finished point.
void run_points(const sweep_spec& spec, const std::vector<sweep_point>& points,
                const std::vector<std::size_t>& mine, thread_pool& pool,
                const std::function<void(const sweep_point&, const point_result&)>& done);

}  // namespace chaoschip::io
