#pragma once
// Weight quantisers: float weights -> integer codes and the scale that maps them back.
//
// - per_tensor / per_row: symmetric, codes in [-(2^(b-1)-1), 2^(b-1)-1], scale max|w| /
//   (2^(b-1)-1) for the whole matrix or per target neuron (row of a [post, pre] matrix).
// - Lava (lava-nc/lava, src/lava/utils/weightutils.py): sign modes, clip to 8 bits,
//   truncation to num_weight_bits, and optimize_weight_bits' mantissa + shared exponent.
// - Rockpool (synsense/rockpool, rockpool/transform/quantize_methods.py): global and
//   per-channel scaling by 127 / max|w| with numpy's round-half-to-even.
// See docs/chips.md for which source versions these follow.
#include <cstdint>

#include <Eigen/Core>

#include "chaoschip/neuromorphic/fixed_point.hpp"

namespace chaoschip::neuromorphic {

// Integer codes (stored in doubles: exact below 2^53) with their scale(s): w ~ code * scale.
struct quantized {
  Eigen::MatrixXd codes;
  Eigen::VectorXd row_scale;  // one scale per row (per_row), or size 1 (per tensor)
  Eigen::MatrixXd dequantized() const;
};

quantized quantize_per_tensor(const Eigen::MatrixXd& w, int bits, rounding r,
                              stochastic_source* source = nullptr);
quantized quantize_per_row(const Eigen::MatrixXd& w, int bits, rounding r,
                           stochastic_source* source = nullptr);

// ---- Lava ----
enum class sign_mode { mixed = 1, excitatory = 2, inhibitory = 3 };
sign_mode determine_sign_mode(const Eigen::MatrixXd& w);
// clip_weights(num_bits = 8): integers (float input truncated toward zero) clipped to
// [-256, 255] (mixed), [0, 255] (excitatory), [-255, 0] (inhibitory).
Eigen::MatrixXd lava_clip_weights(const Eigen::MatrixXd& w, sign_mode mode, int num_bits = 8);
// truncate_weights: clear the low k = 8 - num_weight_bits (+1 if mixed) bits
// (floor-based; inhibitory weights are negated around it, so they truncate toward zero).
Eigen::MatrixXd lava_truncate_weights(const Eigen::MatrixXd& w, sign_mode mode,
                                      int num_weight_bits);
struct lava_weights {
  Eigen::MatrixXd weights;  // integer codes
  int num_weight_bits = 8;
  int weight_exp = 0;
};
// optimize_weight_bits(weights, sign_mode, loihi2 = false) for integer weights within
// the sign mode's 8-bit range.
lava_weights lava_optimize_weight_bits(const Eigen::MatrixXd& w, sign_mode mode);

// ---- Rockpool ----
struct rockpool_quantized {
  Eigen::MatrixXd w_in, w_rec;  // integer codes, [post, pre]
  Eigen::VectorXd threshold;    // integer codes, per neuron
  Eigen::VectorXd scale;        // per neuron: code = round(value * scale)
};
// global_quantize: one scale 127 / max(|w_in|, |w_rec|) (bits_per_weight = 8) for both
// matrices and the thresholds; thresholds above 2^15 - 1 rescale everything (as Rockpool).
rockpool_quantized rockpool_global_quantize(const Eigen::MatrixXd& w_in,
                                            const Eigen::MatrixXd& w_rec,
                                            const Eigen::VectorXd& threshold,
                                            int bits_per_weight = 8, int bits_per_threshold = 16);
// channel_quantize: a scale per target neuron (row of w_in and w_rec).
rockpool_quantized rockpool_channel_quantize(const Eigen::MatrixXd& w_in,
                                             const Eigen::MatrixXd& w_rec,
                                             const Eigen::VectorXd& threshold,
                                             int bits_per_weight = 8, int bits_per_threshold = 16);

}  // namespace chaoschip::neuromorphic
