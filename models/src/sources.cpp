#include "chaoschip/models/sources.hpp"

#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

spike_pattern_source::spike_pattern_source(std::size_t n, pattern p, std::int64_t start) : n_(n) {
  set_pattern(std::move(p), start);
}

void spike_pattern_source::set_pattern(pattern p, std::int64_t start) {
  for (const auto& step : p)
    for (auto i : step)
      if (i >= n_)
        throw error("spike_pattern_source: neuron " + std::to_string(i) + " >= size " +
                    std::to_string(n_));
  pattern_ = std::move(p);
  start_ = start;
  current_ = {};
}

void spike_pattern_source::step(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>&) {
  if (pattern_.empty() || t < start_) {
    current_ = {};
    return;
  }
  current_ = pattern_[static_cast<std::size_t>((t - start_) % period())];
}

poisson_source::poisson_source(std::size_t n, double rate_hz, double dt_ms, random_stream rng)
    : n_(n), table_(rate_hz * dt_ms * 1e-3), rng_(rng), initial_rng_(rng) {
  if (!(rate_hz >= 0.0)) throw error("poisson_source: negative rate");
  spikes_.reserve(n);
}

void poisson_source::step(std::int64_t, const Eigen::Ref<const Eigen::VectorXd>&) {
  spikes_.clear();
  for (std::uint32_t i = 0; i < n_; ++i) {
    const std::uint32_t k = table_(rng_);
    for (std::uint32_t j = 0; j < k; ++j) spikes_.push_back(i);
  }
}

}  // namespace chaoschip::models
