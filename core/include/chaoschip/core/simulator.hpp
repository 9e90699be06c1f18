#pragma once
// The simulation loop: steps a network over a time grid, feeding recorders and reporting
// progress. Detects non-finite graded output (numerical failure) at the step it happens.
#include <cstdint>
#include <functional>
#include <span>

#include "chaoschip/core/network.hpp"
#include "chaoschip/core/recording.hpp"

namespace chaoschip {

struct time_grid {
  double dt = 1.0;         // ms
  std::int64_t steps = 0;  // number of steps
  double time(std::int64_t step) const noexcept { return static_cast<double>(step) * dt; }
};

struct run_options {
  std::int64_t first_step = 0;
  // Called every `progress_every` steps with (steps done, steps total).
  std::function<void(std::int64_t, std::int64_t)> progress;
  std::int64_t progress_every = 1000;
  bool check_finite = true;  // throw numerical_error on NaN/Inf in graded output
};

class simulator {
 public:
  explicit simulator(network& net) : net_(net) {}
  // Runs grid.steps steps starting at options.first_step (the network is not reset).
  void run(const time_grid& grid, std::span<recorder* const> recorders,
           const run_options& options = {});

 private:
  network& net_;
};

}  // namespace chaoschip
