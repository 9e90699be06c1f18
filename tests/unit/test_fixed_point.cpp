// Fixed-point formats, rounding and overflow, stochastic rounding.
#include <catch2/catch.hpp>

#include <cmath>

#include "chaoschip/core/random.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"

using namespace chaoschip;
using namespace chaoschip::neuromorphic;

TEST_CASE("fixed formats: ranges, wrap and saturate", "[chip]") {
  const fixed_format s8{8, 0, true}, u8{8, 0, false}, q{16, 8, true};
  CHECK(s8.min_int() == -128);
  CHECK(s8.max_int() == 127);
  CHECK(u8.max_int() == 255);
  CHECK(q.step() == 1.0 / 256);
  CHECK(wrap_to(128, s8) == -128);
  CHECK(wrap_to(-129, s8) == 127);
  CHECK(wrap_to(300, u8) == 44);
  CHECK(wrap_to(-1, u8) == 255);
  CHECK(saturate_to(300, s8) == 127);
  CHECK(saturate_to(-300, s8) == -128);
  CHECK(to_code(1.0, q, rounding::nearest, overflow::saturate) == 256);
  CHECK(to_code(1000.0, q, rounding::nearest, overflow::saturate) == 32767);
  CHECK(to_code(128.0, q, rounding::nearest, overflow::wrap) == -32768);
  CHECK(from_code(-384, q) == -1.5);
}

TEST_CASE("rounding modes", "[chip]") {
  // value, nearest (ties to even), toward_zero, floor
  const double cases[][4] = {{2.5, 2, 2, 2},     {3.5, 4, 3, 3}, {-2.5, -2, -2, -3},
                             {-2.7, -3, -2, -3}, {2.7, 3, 2, 2}, {-0.2, 0, 0, -1}};
  for (const auto& c : cases) {
    INFO(c[0]);
    CHECK(static_cast<double>(round_scaled(c[0], rounding::nearest)) == c[1]);
    CHECK(static_cast<double>(round_scaled(c[0], rounding::toward_zero)) == c[2]);
    CHECK(static_cast<double>(round_scaled(c[0], rounding::floor)) == c[3]);
  }
  // Integer shifts: floor (numpy, C++20 >>), toward zero (Loihi), nearest.
  CHECK(shift_right(-5, 1, rounding::floor) == -3);
  CHECK(shift_right(-5, 1, rounding::toward_zero) == -2);
  CHECK(shift_right(5, 1, rounding::toward_zero) == 2);
  CHECK(shift_right(6, 2, rounding::nearest) == 2);
  CHECK(shift_right(-6, 2, rounding::nearest) == -2);
  CHECK(shift_right(3, -2, rounding::floor) == 12);
}

TEST_CASE("stochastic rounding is unbiased, reproducible and thread-count independent", "[chip]") {
  const int n = 1000000;
  random_stream rng(3, "values");
  Eigen::ArrayXd x(n);
  for (int i = 0; i < n; ++i) x[i] = rng.uniform(-50.0, 50.0);
  const fixed_format f{32, 0, true};

  stochastic_source a(42, "test"), b(42, "test"), c(43, "test");
  const auto qa = quantize(x, f, rounding::stochastic, overflow::saturate, &a, 1);
  const auto qb = quantize(x, f, rounding::stochastic, overflow::saturate, &b, 4);
  const auto qc = quantize(x, f, rounding::stochastic, overflow::saturate, &c, 1);
  CHECK((qa == qb).all());   // same seed, 1 vs 4 threads: bit-identical
  CHECK(!(qa == qc).all());  // another seed: other draws
  const double mean_error = (qa.cast<double>() - x).mean();
  CHECK(std::abs(mean_error) < 1e-3);  // in units of one step
  // Each value lands on floor or ceil, with P(ceil) = fractional part.
  CHECK(((qa.cast<double>() - x.floor()) >= 0).all());
  CHECK(((qa.cast<double>() - x.floor()) <= 1).all());
  // A second call draws fresh numbers.
  const auto qa2 = quantize(x, f, rounding::stochastic, overflow::saturate, &a, 1);
  CHECK(!(qa == qa2).all());
  // Round to nearest is biased for a constant sub-step value; stochastic is not.
  const Eigen::ArrayXd small = Eigen::ArrayXd::Constant(n, 0.3);
  stochastic_source d(1, "small");
  CHECK(quantize(small, f, rounding::nearest, overflow::saturate).cast<double>().mean() == 0.0);
  CHECK(quantize(small, f, rounding::stochastic, overflow::saturate, &d).cast<double>().mean() ==
        Approx(0.3).margin(2e-3));
}
