#include "chaoschip/core/spike_metrics.hpp"

#include <cmath>
#include <vector>

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

double van_rossum_distance(const spike_list& a, const spike_list& b, std::size_t n,
                           std::int64_t steps, double tau_steps) {
  if (!(tau_steps > 0)) throw error("van_rossum_distance: tau must be > 0");
  const double decay = std::exp(-1.0 / tau_steps);
  std::vector<double> fa(n, 0.0), fb(n, 0.0);
  double diff = 0.0, norm = 0.0;
  std::size_t ia = 0, ib = 0;
  for (std::int64_t t = 0; t < steps; ++t) {
    for (std::size_t i = 0; i < n; ++i) {
      fa[i] *= decay;
      fb[i] *= decay;
    }
    for (; ia < a.steps.size() && a.steps[ia] == t; ++ia) fa[a.ids[ia]] += 1.0;
    for (; ib < b.steps.size() && b.steps[ib] == t; ++ib) fb[b.ids[ib]] += 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = fa[i] - fb[i];
      diff += d * d;
      norm += fa[i] * fa[i] + fb[i] * fb[i];
    }
  }
  return norm > 0.0 ? diff / norm : 0.0;
}

}  // namespace chaoschip
