#include "chaoschip/models/sources.hpp"

#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

spike_pattern_source::spike_pattern_source(std::size_t n, pattern p, std::int64_t start) : n_(n) {
  set_pattern(std::move(p), start);
}

void spike_pattern_source::set_pattern(pattern p, std::int64_t start) {
  swap_pattern(p, start);
}

void spike_pattern_source::swap_pattern(pattern& p, std::int64_t start) {
  for (const auto& step : p)
    for (auto i : step)
      if (i >= n_)
        throw error("spike_pattern_source: neuron " + std::to_string(i) + " >= size " +
                    std::to_string(n_));
  pattern_.swap(p);
  start_ = start;
  current_ = {};
}

void spike_pattern_source::step(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>&) {
  if (pattern_.empty() || t < start_) {
    current_ = {};
    return;
  }
  // Within the first period (a training sequence is one period long) without the 64-bit
  // division that wraps around.
  const std::int64_t k = t - start_;
  current_ = pattern_[static_cast<std::size_t>(k < period() ? k : k % period())];
}

poisson_source::poisson_source(std::size_t n, double rate_hz, double dt_ms, random_stream rng)
    : n_(n), table_(rate_hz * dt_ms * 1e-3), rng_(rng), initial_rng_(rng) {
  if (!(rate_hz >= 0.0)) throw error("poisson_source: negative rate");
  spikes_.resize(2 * n + 64);
}

void poisson_source::step(std::int64_t, const Eigen::Ref<const Eigen::VectorXd>&) {
  // The generator state lives in registers for the loop; every neuron writes its index
  // `burst` times unconditionally and advances by its count k (more only when k > burst),
  // so the common case has no data-dependent branch.
  constexpr std::size_t burst = 4;
  random_stream rng = rng_;
  const auto n = static_cast<std::uint32_t>(n_);
  std::size_t count = 0;
  std::uint32_t* out = spikes_.data();
  std::size_t room = spikes_.size();
  for (std::uint32_t i = 0; i < n; ++i) {
    if (room - count < burst + (n - i)) [[unlikely]] {
      spikes_.resize(2 * spikes_.size() + burst + n);
      out = spikes_.data();
      room = spikes_.size();
    }
    const std::uint32_t k = table_(rng);
    for (std::size_t j = 0; j < burst; ++j) out[count + j] = i;
    if (k > burst) [[unlikely]] {
      if (room - count < k + (n - i)) {
        spikes_.resize(2 * spikes_.size() + k + n);
        out = spikes_.data();
        room = spikes_.size();
      }
      for (std::uint32_t j = burst; j < k; ++j) out[count + j] = i;
    }
    count += k;
  }
  count_ = count;
  rng_ = rng;
}

}  // namespace chaoschip::models
