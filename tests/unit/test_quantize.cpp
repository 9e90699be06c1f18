// Weight quantisers: per tensor and per row, Lava's clip/truncate/optimize_weight_bits,
// Rockpool's global and channel quantisation.
#include <catch2/catch.hpp>

#include <cmath>

#include "chaoschip/core/random.hpp"
#include "chaoschip/neuromorphic/quantize.hpp"

using namespace chaoschip;
using namespace chaoschip::neuromorphic;

namespace {
Eigen::MatrixXd random_matrix(Eigen::Index r, Eigen::Index c, double lo, double hi,
                              std::uint64_t seed) {
  random_stream rng(seed, "m");
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform(lo, hi);
  return m;
}
}  // namespace

TEST_CASE("Lava: 8-bit mixed-sign weights are even numbers in [-256, 254]", "[chip]") {
  const Eigen::MatrixXd raw = random_matrix(40, 50, -400, 400, 1).array().round().matrix();
  REQUIRE(determine_sign_mode(raw) == sign_mode::mixed);
  const Eigen::MatrixXd w =
      lava_truncate_weights(lava_clip_weights(raw, sign_mode::mixed), sign_mode::mixed, 8);
  CHECK(w.minCoeff() == -256);
  CHECK(w.maxCoeff() == 254);
  for (Eigen::Index i = 0; i < w.size(); ++i) CHECK(std::fmod(w.data()[i], 2.0) == 0.0);
  // The low bit is cleared by a floor shift: odd values go down.
  Eigen::MatrixXd odd(1, 4);
  odd << 1, 3, -1, -3;
  Eigen::MatrixXd expect(1, 4);
  expect << 0, 2, -2, -4;
  CHECK(lava_truncate_weights(odd, sign_mode::mixed, 8) == expect);
}

TEST_CASE("Lava: truncation to fewer bits and sign modes", "[chip]") {
  const Eigen::MatrixXd raw = random_matrix(30, 30, -255, 255, 2).array().round().matrix();
  const Eigen::MatrixXd w6 = lava_truncate_weights(raw, sign_mode::mixed, 6);  // k = 3
  for (Eigen::Index i = 0; i < w6.size(); ++i) {
    CHECK(std::fmod(w6.data()[i], 8.0) == 0.0);
    CHECK(w6.data()[i] <= raw.data()[i]);
    CHECK(raw.data()[i] - w6.data()[i] < 8);
  }
  // Excitatory: [0, 255], 6 bits clears k = 2 bits.
  const Eigen::MatrixXd exc = raw.cwiseAbs();
  const Eigen::MatrixXd e6 = lava_truncate_weights(lava_clip_weights(exc, sign_mode::excitatory),
                                                   sign_mode::excitatory, 6);
  CHECK(e6.minCoeff() >= 0);
  for (Eigen::Index i = 0; i < e6.size(); ++i) CHECK(std::fmod(e6.data()[i], 4.0) == 0.0);
  // Inhibitory weights truncate toward zero (negated around the floor shift).
  Eigen::MatrixXd inh(1, 3);
  inh << -3, -5, -300;
  const Eigen::MatrixXd i7 = lava_truncate_weights(lava_clip_weights(inh, sign_mode::inhibitory),
                                                   sign_mode::inhibitory, 7);
  CHECK(i7(0, 0) == -2);
  CHECK(i7(0, 1) == -4);
  CHECK(i7(0, 2) == -254);
  // Floats are truncated toward zero before clipping (astype(int32)).
  Eigen::MatrixXd f(1, 2);
  f << 2.9, -2.9;
  CHECK(lava_clip_weights(f, sign_mode::mixed)(0, 0) == 2);
  CHECK(lava_clip_weights(f, sign_mode::mixed)(0, 1) == -2);
}

TEST_CASE("Lava: optimize_weight_bits", "[chip]") {
  Eigen::MatrixXd w(1, 3);
  w << 127, -5, 3;  // mixed, no common trailing zeros
  auto o = lava_optimize_weight_bits(w, sign_mode::mixed);
  CHECK(o.weight_exp == -1);
  CHECK(o.num_weight_bits == 8);
  CHECK(o.weights(0, 0) == 254);
  CHECK(o.weights(0, 1) == -10);
  Eigen::MatrixXd e(1, 2);
  e << 255, 4;
  o = lava_optimize_weight_bits(e, sign_mode::excitatory);
  CHECK(o.weight_exp == 0);
  CHECK(o.num_weight_bits == 8);
  e << 100, 4;  // excitatory, max 100: scale 2.55 -> weight_exp -1
  o = lava_optimize_weight_bits(e, sign_mode::excitatory);
  CHECK(o.weight_exp == -1);
  CHECK(o.num_weight_bits == 8 - 1 - 2);  // two common trailing zero bits (100, 4)
  CHECK_THROWS(lava_optimize_weight_bits(e * 3, sign_mode::excitatory));
}

TEST_CASE("per-tensor and per-row quantisation; round trips within half a step", "[chip]") {
  Eigen::MatrixXd w = random_matrix(20, 30, -0.1, 0.1, 3);
  w.row(4) *= 20.0;  // one target neuron with much larger weights
  for (int bits : {16, 8, 6, 4, 2}) {
    INFO(bits);
    const auto t = quantize_per_tensor(w, bits, rounding::nearest);
    const auto r = quantize_per_row(w, bits, rounding::nearest);
    const double q_max = std::ldexp(1.0, bits - 1) - 1;
    REQUIRE(t.row_scale.size() == 1);
    REQUIRE(r.row_scale.size() == 20);
    CHECK(t.codes.cwiseAbs().maxCoeff() == q_max);
    for (Eigen::Index i = 0; i < 20; ++i) CHECK(r.codes.row(i).cwiseAbs().maxCoeff() == q_max);
    const Eigen::MatrixXd et = (t.dequantized() - w).cwiseAbs();
    CHECK(et.maxCoeff() <= 0.5 * t.row_scale[0] * (1 + 1e-12));
    const Eigen::MatrixXd er = (r.dequantized() - w).cwiseAbs();
    for (Eigen::Index i = 0; i < 20; ++i)
      CHECK(er.row(i).maxCoeff() <= 0.5 * r.row_scale[i] * (1 + 1e-12));
    // Per-row scales keep the small rows precise where one large row dominates the tensor.
    if (bits <= 8) CHECK(er.row(0).maxCoeff() < et.row(0).maxCoeff());
  }
  // Stochastic rounding: within one step, unbiased on average.
  stochastic_source src(5, "w");
  const auto s = quantize_per_tensor(w, 4, rounding::stochastic, &src);
  CHECK((s.dequantized() - w).cwiseAbs().maxCoeff() <= s.row_scale[0] * (1 + 1e-12));
}

TEST_CASE("Rockpool: global and channel quantisation with round half to even", "[chip]") {
  Eigen::MatrixXd w_in(2, 2), w_rec(2, 2);
  w_in << 1.0, -0.5, 0.25, 0.0;
  w_rec << 0.0, 2.0, -0.1, 0.5;
  Eigen::VectorXd th(2);
  th << 1.0, 0.5;
  const auto g = rockpool_global_quantize(w_in, w_rec, th);
  const double s = 127.0 / 2.0;
  CHECK(g.scale[0] == s);
  CHECK(g.w_rec(0, 1) == 127);
  CHECK(g.w_in(0, 0) == 64);    // 63.5 -> 64 (even)
  CHECK(g.w_in(0, 1) == -32);   // -31.75 -> -32
  CHECK(g.w_in(1, 0) == 16);    // 15.875 -> 16
  CHECK(g.threshold[1] == 32);  // 31.75 -> 32
  const auto c = rockpool_channel_quantize(w_in, w_rec, th);
  CHECK(c.scale[0] == 127.0 / 2.0);  // row 0: max(|1|, |2|)
  CHECK(c.scale[1] == 127.0 / 0.5);  // row 1: max(|0.25|, |0.5|)
  CHECK(c.w_rec(1, 1) == 127);
  CHECK(c.threshold[1] == 127);
  // Half to even: 2.5 -> 2, 3.5 -> 4 (numpy's np.round).
  Eigen::MatrixXd h_in(1, 2), h_rec = Eigen::MatrixXd::Zero(1, 1);
  h_in << 127.0, 2.5;
  const auto h = rockpool_global_quantize(h_in, h_rec, Eigen::VectorXd::Constant(1, 3.5));
  CHECK(h.w_in(0, 1) == 2);
  CHECK(h.threshold[0] == 4);
  // Thresholds beyond 16 bits rescale everything once more.
  const auto big = rockpool_global_quantize(w_in, w_rec, Eigen::VectorXd::Constant(2, 2000.0));
  CHECK(big.threshold.maxCoeff() <= 32767);
}
