#include "chaoschip/neuromorphic/fixed_point.hpp"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/random.hpp"

namespace chaoschip::neuromorphic {

namespace {
constexpr std::uint64_t mix(std::uint64_t z) noexcept {  // splitmix64 finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

rounding parse_rounding(std::string_view name, const char* key) {
  return parse_name(rounding_names, name, key);
}

overflow parse_overflow(std::string_view name, const char* key) {
  return parse_name(overflow_names, name, key);
}

std::string_view to_string(rounding r) noexcept {
  return name_of(rounding_names, r);
}

std::string_view to_string(overflow o) noexcept {
  return name_of(overflow_names, o);
}

void validate(const fixed_format& f, const std::string& key) {
  if (f.total_bits < 1 || f.total_bits > 63 || (f.is_signed && f.total_bits < 2))
    throw parameter_error(key, std::to_string(f.total_bits),
                          "a bit width in [2, 63] (signed) or [1, 63] (unsigned)");
  if (f.frac_bits < 0 || f.frac_bits > 64)
    throw parameter_error(key, std::to_string(f.frac_bits), "fraction bits in [0, 64]");
}

stochastic_source::stochastic_source(std::uint64_t seed, std::string_view stream)
    : key_(mix(mix(seed + 0x9e3779b97f4a7c15ULL) ^ stream_hash(stream))) {}

double stochastic_source::uniform(std::uint64_t call, std::uint64_t index) const noexcept {
  const std::uint64_t z = mix(key_ ^ mix(call * 0xd1342543de82ef95ULL + index));
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

std::int64_t round_scaled(double x, rounding r, double u) noexcept {
  switch (r) {
    case rounding::nearest:
      return static_cast<std::int64_t>(std::nearbyint(x));  // ties even
    case rounding::toward_zero:
      return static_cast<std::int64_t>(std::trunc(x));
    case rounding::floor:
      return static_cast<std::int64_t>(std::floor(x));
    case rounding::stochastic: {
      // Round up with probability equal to the fractional part: unbiased in expectation.
      const double f = std::floor(x);
      return static_cast<std::int64_t>(f) + (u < x - f ? 1 : 0);
    }
  }
  return 0;
}

std::int64_t shift_right(std::int64_t x, int shift, rounding r, double u) noexcept {
  if (shift <= 0) return x * (std::int64_t{1} << -shift);
  switch (r) {
    case rounding::floor:
      return x >> shift;
    case rounding::toward_zero:
      return x < 0 ? -((-x) >> shift) : x >> shift;
    case rounding::nearest: {
      // Half away from zero on the magnitude, as a hardware rounding adder does.
      const std::int64_t half = std::int64_t{1} << (shift - 1);
      return x < 0 ? -((-x + half) >> shift) : (x + half) >> shift;
    }
    case rounding::stochastic: {
      const std::int64_t fl = x >> shift;
      const std::int64_t rem = x - (fl << shift);  // in [0, 2^shift)
      return fl + (u * std::ldexp(1.0, shift) < static_cast<double>(rem) ? 1 : 0);
    }
  }
  return x;
}

Eigen::Array<std::int64_t, Eigen::Dynamic, 1> quantize(const Eigen::Ref<const Eigen::ArrayXd>& v,
                                                       const fixed_format& f, rounding r,
                                                       overflow o, stochastic_source* source,
                                                       int threads) {
  Eigen::Array<std::int64_t, Eigen::Dynamic, 1> out(v.size());
  if (r == rounding::stochastic && !source)
    throw error("quantize: stochastic rounding needs a stochastic_source");
  const std::uint64_t call = r == rounding::stochastic ? source->next_call() : 0;
  // Element i uses u(seed, call, i) whichever thread computes it.
  auto range = [&](Eigen::Index begin, Eigen::Index end) {
    for (Eigen::Index i = begin; i < end; ++i) {
      const double u =
          r == rounding::stochastic ? source->uniform(call, static_cast<std::uint64_t>(i)) : 0.5;
      out[i] = to_code(v[i], f, r, o, u);
    }
  };
  const Eigen::Index n = v.size();
  const Eigen::Index parts = std::clamp<Eigen::Index>(threads, 1, std::max<Eigen::Index>(n, 1));
  if (parts == 1) {
    range(0, n);
  } else {
    std::vector<std::jthread> pool;
    for (Eigen::Index p = 0; p < parts; ++p)
      pool.emplace_back(range, p * n / parts, (p + 1) * n / parts);
  }
  return out;
}

Eigen::ArrayXd quantize_values(const Eigen::Ref<const Eigen::ArrayXd>& v, const fixed_format& f,
                               rounding r, overflow o, stochastic_source* source) {
  const auto codes = quantize(v, f, r, o, source);
  Eigen::ArrayXd out(codes.size());
  for (Eigen::Index i = 0; i < codes.size(); ++i) out[i] = from_code(codes[i], f);
  return out;
}

}  // namespace chaoschip::neuromorphic
