#pragma once
// Named random streams derived from one master seed.
//
// Every consumer (weights, inputs, tangent vectors, stochastic rounding, ...) asks for its
// own stream by name, so adding a consumer never shifts the numbers another one sees, and
// results do not depend on call order across consumers or on thread count. The generator
// is xoshiro256++ seeded through splitmix64; distributions are implemented here (not
// <random>'s, whose algorithms differ between standard libraries) so that a seed gives the
// same numbers on every platform.
#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace chaoschip {

// 64-bit FNV-1a of a name: stable, documented, good enough to separate stream names.
constexpr std::uint64_t stream_hash(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

class random_stream {
 public:
  using result_type = std::uint64_t;

  // The stream `name` (and optional sub-index, e.g. a thread or sequence number) of `seed`.
  random_stream(std::uint64_t seed, std::string_view name, std::uint64_t index = 0) noexcept;

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }
  result_type operator()() noexcept { return next(); }

  result_type next() noexcept {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n) (Lemire's nearly divisionless method, unbiased).
  std::uint64_t below(std::uint64_t n) noexcept;
  bool bernoulli(double p) noexcept { return uniform() < p; }
  // Standard normal (Marsaglia polar method; caches the second value).
  double normal() noexcept;
  // Poisson with the given mean (inversion for small means, PTRS rejection above 10).
  std::uint64_t poisson(double mean) noexcept;

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::array<std::uint64_t, 4> s_{};
  double cached_normal_ = 0.0;
  bool has_cached_normal_ = false;
};

// Poisson draws with a fixed small mean, by inversion with a precomputed table: the hot
// path of external Poisson drive (one draw per neuron and step).
class poisson_table {
 public:
  explicit poisson_table(double mean);
  std::uint32_t operator()(random_stream& rng) const noexcept {
    const double u = rng.uniform();
    // Branchless count over the first entries (padded with 2.0 past the table), which
    // holds nearly all the mass for small means; the same k as the sequential search.
    std::uint32_t k = 0;
    for (std::size_t j = 0; j < fast; ++j) k += u >= cdf_[j] ? 1u : 0u;
    const auto n = static_cast<std::uint32_t>(cdf_size_);
    if (k < fast && k < n) return k;
    while (k < n && u >= cdf_[k]) ++k;
    return k < n ? k : tail(u);
  }
  double mean() const noexcept { return mean_; }

 private:
  std::uint32_t tail(double u) const noexcept;
  static constexpr std::size_t max_table = 64;
  static constexpr std::size_t fast = 8;
  double mean_;
  std::array<double, max_table> cdf_{};
  std::size_t cdf_size_ = 0;
};

}  // namespace chaoschip
