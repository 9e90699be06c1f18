#pragma once
// Sweeps (docs/sweep.md): the cartesian product of grids x seeds, one run file per
// point in a directory; the summary files are io/sweep_summary.hpp. Points are
// independent: they run on a thread pool, or are shared across MPI ranks by the caller
// (point i goes to rank i mod size).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chaoschip/core/thread_pool.hpp"
#include "chaoschip/io/sweep_summary.hpp"

namespace chaoschip::experiment {

// One --grid KEY=V1,V2,...: values are TOML values, split at top-level commas (not inside
// strings, arrays or inline tables). Throws input_error naming --grid on a malformed spec.
io::grid_axis parse_grid(const std::string& spec);

enum class point_state { done, reused, failed };

struct point_result {
  point_state state = point_state::failed;
  std::string error;  // failed: the one-line message
  int exit_code = 0;  // failed: what `chaoschip run` would have returned (2, 3 or 1)
};

// Every point, grid-major (the first axis varies slowest), seeds innermost.
std::vector<io::sweep_point> expand(const io::sweep_spec& spec);

// Runs one point into dir/file, unless a complete file with the same resolved config is
// already there (resume). A failure leaves dir/file.failed with the message, and no run
// file. Never throws for the point's own errors.
point_result run_point(const io::sweep_spec& spec, const io::sweep_point& point);

// Runs the given points (indices into `points`) on the pool, reporting each finished point.
void run_points(const io::sweep_spec& spec, const std::vector<io::sweep_point>& points,
                const std::vector<std::size_t>& mine, thread_pool& pool,
                const std::function<void(const io::sweep_point&, const point_result&)>& done);

}  // namespace chaoschip::experiment
