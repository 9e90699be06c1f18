#include "chaoschip/experiment/sweep.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/experiment/resources.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/paths.hpp"
#include "chaoschip/io/run_file.hpp"

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace fs = std::filesystem;

grid_axis parse_grid(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0)
    throw input_error("--grid '" + spec + "': expected KEY=V1,V2,...");
  grid_axis axis{spec.substr(0, eq), {}};
  const std::string rest = spec.substr(eq + 1);
  std::string current;
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char ch = rest[i];
    if (quote) {
      current += ch;
      if (ch == '\\' && quote == '"' && i + 1 < rest.size())
        current += rest[++i];
      else if (ch == quote)
        quote = 0;
      continue;
    }
    if (ch == '"' || ch == '\'') quote = ch;
    if (ch == '[' || ch == '{') ++depth;
    if (ch == ']' || ch == '}') --depth;
    if (ch == ',' && depth == 0) {
      axis.values.push_back(current);
      current.clear();
      continue;
    }
    current += ch;
  }
  axis.values.push_back(current);
  for (const auto& v : axis.values)
    if (v.find_first_not_of(" \t") == std::string::npos)
      throw input_error("--grid '" + spec + "': empty value (expected KEY=V1,V2,...)");
  if (quote || depth != 0)
    throw input_error("--grid '" + spec + "': unbalanced quotes or brackets");
  return axis;
}

namespace {

// The --set list of a point: grid values, then its seed.
std::vector<std::string> point_sets(const sweep_spec& spec, const sweep_point& p) {
  std::vector<std::string> sets = spec.overrides;
  bool seed_in_grid = false;
  for (std::size_t a = 0; a < spec.grid.size(); ++a) {
    sets.push_back(spec.grid[a].key + "=" + p.values[a]);
    seed_in_grid = seed_in_grid || spec.grid[a].key == "seed";
  }
  if (!seed_in_grid) sets.push_back("seed=" + std::to_string(p.seed));
  return sets;
}

}  // namespace

std::vector<sweep_point> expand(const sweep_spec& spec) {
  if (spec.seeds < 1)
    throw input_error("--seeds " + std::to_string(spec.seeds) + ": expected >= 1");
  bool seed_in_grid = false;
  for (const auto& a : spec.grid) seed_in_grid = seed_in_grid || a.key == "seed";
  // Two axes over one key would compute every point and then fail at the summary.
  const auto key_of = [](const grid_axis& a) {
    const auto first = a.key.find_first_not_of(" \t");
    const auto last = a.key.find_last_not_of(" \t");
    return first == std::string::npos ? a.key : a.key.substr(first, last - first + 1);
  };
  for (std::size_t i = 0; i < spec.grid.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (key_of(spec.grid[i]) == key_of(spec.grid[j]))
        throw input_error("--grid " + key_of(spec.grid[i]) +
                          ": given twice (one --grid per key, with all its values: KEY=V1,V2,...)");
  if (seed_in_grid && spec.seeds != 1)
    throw input_error("--seeds " + std::to_string(spec.seeds) +
                      ": expected 1 when 'seed' is a grid key");
  const run_config base = load_config(spec.config, spec.overrides);
  std::vector<sweep_point> points;
  std::vector<std::size_t> idx(spec.grid.size(), 0);
  for (;;) {
    for (std::int64_t s = 0; s < spec.seeds; ++s) {
      sweep_point p;
      p.index = points.size();
      p.seed = base.seed + s;
      for (std::size_t a = 0; a < spec.grid.size(); ++a) {
        p.values.push_back(spec.grid[a].values[idx[a]]);
        if (spec.grid[a].key == "seed") p.seed = std::atoll(p.values.back().c_str());
      }
      p.file = fmt::format("point_{:04d}.h5", p.index);
      points.push_back(std::move(p));
    }
    // Odometer over the grid, last axis fastest.
    std::size_t a = spec.grid.size();
    while (a > 0) {
      --a;
      if (++idx[a] < spec.grid[a].values.size()) break;
      idx[a] = 0;
      if (a == 0) return points;
    }
    if (spec.grid.empty()) return points;
  }
}

point_result run_point(const sweep_spec& spec, const sweep_point& p) {
  const fs::path file = fs::path(spec.dir) / p.file;
  const fs::path note = file.string() + ".failed";
  point_result r;
  bool is_input = false;  // the point's file is one of its inputs: never removed
  try {
    const run_config cfg = load_config(spec.config, point_sets(spec, p));
    check_supported(cfg);
    try {
      check_not_an_input(file.string(), sweep_inputs(spec, cfg), "sweep");
    } catch (const file_error&) {
      is_input = true;
      throw;
    }
    require_memory(estimate_run(cfg), mem_available(), "this point");
    const std::string resolved = to_toml(cfg);
    if (fs::exists(file)) {
      // Complete by construction (files appear by rename); same config: nothing to do.
      bool same = false;
      try {
        same = read_config_attribute(file.string()) == resolved;
      } catch (const error&) {
      }
      if (same) {
        fs::remove(note);
        r.state = point_state::reused;
        return r;
      }
    }
    const run_data data = run_experiment(cfg);
    write_run_file(file.string(), data);
    fs::remove(note);
    r.state = point_state::done;
    return r;
  } catch (const input_error& e) {
    r.error = e.what();
    r.exit_code = 2;
  } catch (const numerical_error& e) {
    r.error = e.what();
    r.exit_code = 3;
  } catch (const std::exception& e) {
    r.error = std::string("internal error: ") + e.what();
    r.exit_code = 1;
  }
  r.state = point_state::failed;
  std::error_code ec;
  // A stale file of another config must not be summarised; an input, a device or a FIFO
  // under a point's name is never removed.
  if (!is_input && fs::is_regular_file(file, ec)) fs::remove(file, ec);
  try {
    write_text_atomically(note, std::to_string(r.exit_code) + "\n" + r.error + "\n");
  } catch (const error&) {
    // No room even for the note: the summary shows the point as missing, which also fails
    // the sweep, and the message above still reaches the user.
  }
  return r;
}

void run_points(const sweep_spec& spec, const std::vector<sweep_point>& points,
                const std::vector<std::size_t>& mine, thread_pool& pool,
                const std::function<void(const sweep_point&, const point_result&)>& done) {
  std::mutex report;
  pool.parallel_for(mine.size(), [&](std::size_t i) {
    const auto& p = points[mine[i]];
    const point_result r = run_point(spec, p);
    const std::lock_guard lock(report);
    if (done) done(p, r);
  });
}

}  // namespace chaoschip::experiment
