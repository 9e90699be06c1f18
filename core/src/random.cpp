#include "chaoschip/core/random.hpp"

#include <cmath>

namespace chaoschip {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

random_stream::random_stream(std::uint64_t seed, std::string_view name,
                             std::uint64_t index) noexcept {
  // Mix seed, name and index through splitmix64 so nearby seeds give unrelated streams.
  std::uint64_t x = seed;
  std::uint64_t k = splitmix64(x) ^ stream_hash(name);
  k = splitmix64(k) ^ (index * 0xd1342543de82ef95ULL);
  for (auto& s : s_) s = splitmix64(k);
}

std::uint64_t random_stream::below(std::uint64_t n) noexcept {
  if (n == 0) return 0;
  __uint128_t m = static_cast<__uint128_t>(next()) * n;
  auto l = static_cast<std::uint64_t>(m);
  if (l < n) {
    const std::uint64_t t = (0 - n) % n;
    while (l < t) {
      m = static_cast<__uint128_t>(next()) * n;
      l = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double random_stream::normal() noexcept {
  if (has_cached_normal_) {
    has_cached_normal_ = false;
    return cached_normal_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  cached_normal_ = v * f;
  has_cached_normal_ = true;
  return u * f;
}

std::uint64_t random_stream::poisson(double mean) noexcept {
  if (!(mean > 0.0)) return 0;
  if (mean < 10.0) {
    // Inversion by sequential search.
    const double l = std::exp(-mean);
    double p = l, cdf = l;
    const double u = uniform();
    std::uint64_t k = 0;
    while (u > cdf && k < 1000) {
      ++k;
      p *= mean / static_cast<double>(k);
      cdf += p;
    }
    return k;
  }
  // Hormann (1993), transformed rejection with squeeze (PTRS).
  const double slam = std::sqrt(mean), loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), v_r = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    const double u = uniform() - 0.5, v = uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<std::uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - std::lgamma(k + 1))
      return static_cast<std::uint64_t>(k);
  }
}

poisson_table::poisson_table(double mean) : mean_(mean) {
  cdf_.fill(2.0);  // past the table: never reached by u < 1 (see operator())
  const double l = std::exp(-mean);
  double p = l, cdf = l;
  for (std::size_t k = 0; k < max_table; ++k) {
    cdf_[k] = cdf;
    cdf_size_ = k + 1;
    if (cdf >= 1.0 - 1e-16) break;
    p *= mean / static_cast<double>(k + 1);
    cdf += p;
  }
}

std::uint32_t poisson_table::tail(double u) const noexcept {
  // Continue the sequential search beyond the table (rare; only for larger means).
  double cdf = cdf_[cdf_size_ - 1];
  double p = cdf_size_ > 1 ? cdf - cdf_[cdf_size_ - 2] : cdf;
  auto k = static_cast<std::uint32_t>(cdf_size_ - 1);
  while (u >= cdf && k < 100000) {
    ++k;
    p *= mean_ / static_cast<double>(k);
    cdf += p;
    if (p == 0.0) break;
  }
  return k;
}

}  // namespace chaoschip
