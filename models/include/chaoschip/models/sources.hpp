#pragma once
// Input populations: no dynamics of their own, they emit spikes.
#include <cstdint>
#include <string_view>
#include <vector>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/random.hpp"

namespace chaoschip::models {

// Replays a spike pattern: step t emits the neurons listed in pattern[t mod period]
// (t counted from `start`); silent before `start`.
class spike_pattern_source final : public population {
 public:
  using pattern = std::vector<std::vector<std::uint32_t>>;
  spike_pattern_source(std::size_t n, pattern p, std::int64_t start = 0);

  std::string_view model() const noexcept override { return "spike_pattern"; }
  std::size_t size() const noexcept override { return n_; }
  output_kind output() const noexcept override { return output_kind::spikes; }
  void reset() override { current_ = {}; }
  void step(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>&) override;
  std::span<const std::uint32_t> spikes() const noexcept override { return current_; }

  void set_pattern(pattern p, std::int64_t start);
  // Exchanges the pattern with `p` (checked as set_pattern does): a caller that sets one
  // pattern per sequence gets the previous one's storage back to copy the next into.
  void swap_pattern(pattern& p, std::int64_t start);
  std::int64_t period() const noexcept { return static_cast<std::int64_t>(pattern_.size()); }

 private:
  std::size_t n_;
  pattern pattern_;
  std::int64_t start_;
  std::span<const std::uint32_t> current_;
};

// Independent Poisson spike trains, rate in Hz: each neuron emits Poisson(rate dt) spikes
// per step (repeated indices for several spikes), like NEST's poisson_generator connected
// one-to-one.
class poisson_source final : public population {
 public:
  poisson_source(std::size_t n, double rate_hz, double dt_ms, random_stream rng);

  std::string_view model() const noexcept override { return "poisson"; }
  std::size_t size() const noexcept override { return n_; }
  output_kind output() const noexcept override { return output_kind::spikes; }
  void reset() override {
    count_ = 0;
    rng_ = initial_rng_;
  }
  void step(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>&) override;
  std::span<const std::uint32_t> spikes() const noexcept override {
    return {spikes_.data(), count_};
  }

 private:
  std::size_t n_;
  poisson_table table_;
  random_stream rng_, initial_rng_;
  std::vector<std::uint32_t> spikes_;  // capacity; the first count_ are this step's spikes
  std::size_t count_ = 0;
};

// A constant graded output (one unit per neuron, every step): the source of constant input
// currents such as a NIR graph's Affine biases, delivered through a projection whose one
// column is the bias.
class constant_source final : public population {
 public:
  explicit constant_source(std::size_t n)
      : value_(Eigen::VectorXd::Ones(static_cast<Eigen::Index>(n))) {}
  std::string_view model() const noexcept override { return "constant"; }
  std::size_t size() const noexcept override { return static_cast<std::size_t>(value_.size()); }
  output_kind output() const noexcept override { return output_kind::graded; }
  void reset() override {}
  void step(std::int64_t, const Eigen::Ref<const Eigen::VectorXd>&) override {}
  const Eigen::VectorXd& graded() const noexcept override { return value_; }

 private:
  Eigen::VectorXd value_;
};

}  // namespace chaoschip::models
