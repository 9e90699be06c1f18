#pragma once
// Fixed-point number formats, rounding and overflow as chips do them.
//
// A format is (total bits, fraction bits, signed): the integer k stands for k * 2^-frac.
// Rounding applies when a real number (or a wider integer) is brought to the format's
// step; overflow when the integer leaves the format's range. Stochastic rounding draws
// from a counter-based generator keyed by (seed, stream, call, element), so the result of
// element i never depends on how elements are split across threads.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include <Eigen/Core>

#include "chaoschip/core/enum_names.hpp"

namespace chaoschip::neuromorphic {

enum class rounding { nearest, toward_zero, floor, stochastic };
enum class overflow { wrap, saturate };

inline constexpr enum_table<rounding, 4> rounding_names{{{rounding::nearest, "nearest"},
                                                         {rounding::toward_zero, "toward_zero"},
                                                         {rounding::floor, "floor"},
                                                         {rounding::stochastic, "stochastic"}}};
inline constexpr enum_table<overflow, 2> overflow_names{
    {{overflow::wrap, "wrap"}, {overflow::saturate, "saturate"}}};

rounding parse_rounding(std::string_view name, const char* key = "chip.rounding");
overflow parse_overflow(std::string_view name, const char* key = "chip.overflow");
std::string_view to_string(rounding r) noexcept;
std::string_view to_string(overflow o) noexcept;

struct fixed_format {
  int total_bits = 16;
  int frac_bits = 0;
  bool is_signed = true;

  constexpr std::int64_t min_int() const noexcept {
    return is_signed ? -(std::int64_t{1} << (total_bits - 1)) : 0;
  }
  constexpr std::int64_t max_int() const noexcept {
    return is_signed ? (std::int64_t{1} << (total_bits - 1)) - 1
                     : (std::int64_t{1} << total_bits) - 1;
  }
  double step() const noexcept { return std::ldexp(1.0, -frac_bits); }
  double min_value() const noexcept { return static_cast<double>(min_int()) * step(); }
  double max_value() const noexcept { return static_cast<double>(max_int()) * step(); }
};
// Checks 1 <= total_bits <= 63 and 0 <= frac_bits; parameter_error naming `key`.
void validate(const fixed_format& f, const std::string& key);

// Two's-complement wrap of k into the format's range.
constexpr std::int64_t wrap_to(std::int64_t k, const fixed_format& f) noexcept {
  const auto bits = static_cast<unsigned>(f.total_bits);
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  std::uint64_t u = static_cast<std::uint64_t>(k) & mask;
  if (f.is_signed && (u >> (bits - 1)) != 0) u |= ~mask;  // sign-extend
  return static_cast<std::int64_t>(u);
}
constexpr std::int64_t saturate_to(std::int64_t k, const fixed_format& f) noexcept {
  return k < f.min_int() ? f.min_int() : (k > f.max_int() ? f.max_int() : k);
}
constexpr std::int64_t apply_overflow(std::int64_t k, const fixed_format& f, overflow o) noexcept {
  return o == overflow::wrap ? wrap_to(k, f) : saturate_to(k, f);
}

// Counter-based uniform numbers for stochastic rounding: u(seed, call, i) in [0, 1).
class stochastic_source {
 public:
  stochastic_source(std::uint64_t seed, std::string_view stream);
  // A fresh call number for the next tensor operation (each call sees new numbers).
  std::uint64_t next_call() noexcept { return call_++; }
  // The calls made so far; resume_at(calls()) on a new source of the same seed and stream
  // continues its numbers (checkpoints).
  std::uint64_t calls() const noexcept { return call_; }
  void resume_at(std::uint64_t calls) noexcept { call_ = calls; }
  double uniform(std::uint64_t call, std::uint64_t index) const noexcept;

 private:
  std::uint64_t key_;
  std::uint64_t call_ = 0;
};

// Rounds the real x (in units of the step, i.e. x = value / step) to an integer.
std::int64_t round_scaled(double x, rounding r, double u = 0.5) noexcept;

// value -> integer code of the format, with rounding and overflow. `u` is the uniform
// number used by stochastic rounding.
inline std::int64_t to_code(double value, const fixed_format& f, rounding r, overflow o,
                            double u = 0.5) noexcept {
  const double x = std::ldexp(value, f.frac_bits);
  // Clamp before converting so huge values stay defined; wrap then acts on the clamp.
  const double lim = 0x1p62;
  return apply_overflow(round_scaled(x < -lim ? -lim : (x > lim ? lim : x), r, u), f, o);
}
// x c / 2^b, rounded by r (deterministic roundings; nearest is half away from zero): a
// state times an unsigned 0.b multiplier. The 128-bit product: a 32-bit state times a
// 32-bit multiplier does not fit 64 bits.
inline std::int64_t multiply_shift(std::int64_t x, std::int64_t c, int b, rounding r) noexcept {
  const __int128_t prod = static_cast<__int128_t>(x) * c;
  switch (r) {
    case rounding::floor:
      return static_cast<std::int64_t>(prod >> b);
    case rounding::toward_zero:
      return static_cast<std::int64_t>(prod < 0 ? -((-prod) >> b) : prod >> b);
    default: {
      const __int128_t half = static_cast<__int128_t>(1) << (b - 1);
      return static_cast<std::int64_t>(prod < 0 ? -((-prod + half) >> b) : (prod + half) >> b);
    }
  }
}

inline double from_code(std::int64_t k, const fixed_format& f) noexcept {
  return std::ldexp(static_cast<double>(k), -f.frac_bits);
}

// Arithmetic right shift of an integer by `shift` bits with the given rounding
// (toward_zero: sign(x) * (|x| >> s), as Loihi; floor: x >> s, as numpy and C++20).
std::int64_t shift_right(std::int64_t x, int shift, rounding r, double u = 0.5) noexcept;

// Vectorised: values -> codes. Stochastic rounding draws u(seed, call, i) from `source`
// (required when r == stochastic); the work is split over `threads` threads, with results
// independent of the split.
Eigen::Array<std::int64_t, Eigen::Dynamic, 1> quantize(const Eigen::Ref<const Eigen::ArrayXd>& v,
                                                       const fixed_format& f, rounding r,
                                                       overflow o,
                                                       stochastic_source* source = nullptr,
                                                       int threads = 1);
// values -> the nearest representable values (quantize then decode).
Eigen::ArrayXd quantize_values(const Eigen::Ref<const Eigen::ArrayXd>& v, const fixed_format& f,
                               rounding r, overflow o, stochastic_source* source = nullptr);

}  // namespace chaoschip::neuromorphic
