#include "chaoschip/core/simulator.hpp"

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

void simulator::run(const time_grid& grid, std::span<recorder* const> recorders,
                    const run_options& options) {
  const std::int64_t end = options.first_step + grid.steps;
  for (std::int64_t t = options.first_step; t < end; ++t) {
    net_.step(t);
    for (auto* r : recorders) r->record(t, net_);
    if (options.check_finite) {
      for (population_id p = 0; p < net_.size(); ++p) {
        const auto& pop = net_.at(p);
        if (pop.output() == output_kind::graded && !pop.graded().allFinite())
          throw numerical_error("population '" + net_.name(p) + "'", t,
                                "non-finite output (the dynamics diverged)");
      }
    }
    if (options.progress &&
        ((t + 1 - options.first_step) % options.progress_every == 0 || t + 1 == end))
      options.progress(t + 1 - options.first_step, grid.steps);
  }
}

}  // namespace chaoschip
