#include "chaoschip/neuromorphic/quantize.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::neuromorphic {

namespace {

double np_round(double x) {
  return std::nearbyint(x);
}  // numpy: half to even

quantized quantize_rows(const Eigen::MatrixXd& w, int bits, rounding r, stochastic_source* source,
                        bool per_row) {
  if (bits < 2 || bits > 32)
    throw parameter_error("chip.weight_bits", std::to_string(bits), "an integer in [2, 32]");
  const double q_max = std::ldexp(1.0, bits - 1) - 1.0;
  quantized q;
  const Eigen::Index groups = per_row ? w.rows() : 1;
  q.row_scale.resize(groups);
  q.codes.resize(w.rows(), w.cols());
  const std::uint64_t call = r == rounding::stochastic && source ? source->next_call() : 0;
  if (r == rounding::stochastic && !source)
    throw error("quantize: stochastic rounding needs a stochastic_source");
  for (Eigen::Index g = 0; g < groups; ++g) {
    const double m = per_row ? w.row(g).cwiseAbs().maxCoeff() : w.cwiseAbs().maxCoeff();
    const double scale = m > 0.0 ? m / q_max : 1.0;
    q.row_scale[g] = scale;
    const Eigen::Index r0 = per_row ? g : 0, r1 = per_row ? g + 1 : w.rows();
    for (Eigen::Index i = r0; i < r1; ++i)
      for (Eigen::Index j = 0; j < w.cols(); ++j) {
        const double u = r == rounding::stochastic
                             ? source->uniform(call, static_cast<std::uint64_t>(i * w.cols() + j))
                             : 0.5;
        const double c = static_cast<double>(round_scaled(w(i, j) / scale, r, u));
        q.codes(i, j) = std::clamp(c, -q_max, q_max);
      }
  }
  return q;
}

}  // namespace

Eigen::MatrixXd quantized::dequantized() const {
  if (row_scale.size() == 1) return codes * row_scale[0];
  return row_scale.asDiagonal() * codes;
}

quantized quantize_per_tensor(const Eigen::MatrixXd& w, int bits, rounding r,
                              stochastic_source* source) {
  return quantize_rows(w, bits, r, source, false);
}

quantized quantize_per_row(const Eigen::MatrixXd& w, int bits, rounding r,
                           stochastic_source* source) {
  return quantize_rows(w, bits, r, source, true);
}

sign_mode determine_sign_mode(const Eigen::MatrixXd& w) {
  if (w.size() == 0 || w.minCoeff() >= 0) return sign_mode::excitatory;
  if (w.maxCoeff() <= 0) return sign_mode::inhibitory;
  return sign_mode::mixed;
}

Eigen::MatrixXd lava_clip_weights(const Eigen::MatrixXd& w, sign_mode mode, int num_bits) {
  const bool mixed = mode == sign_mode::mixed, inh = mode == sign_mode::inhibitory;
  const double hi = std::ldexp(1.0, num_bits) - 1.0, lo = mixed ? -std::ldexp(1.0, num_bits) : 0.0;
  Eigen::MatrixXd out = w.unaryExpr([](double x) { return std::trunc(x); });  // astype(int32)
  if (inh) out = -out;
  out = out.cwiseMax(lo).cwiseMin(hi);
  if (inh) out = -out;
  return out;
}

Eigen::MatrixXd lava_truncate_weights(const Eigen::MatrixXd& w, sign_mode mode,
                                      int num_weight_bits) {
  const bool inh = mode == sign_mode::inhibitory;
  const int k = 8 - num_weight_bits + (mode == sign_mode::mixed ? 1 : 0);
  Eigen::MatrixXd out(w.rows(), w.cols());
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    auto v = static_cast<std::int64_t>(w.data()[i]);
    if (inh) v = -v;
    if (k > 0) v = (v >> k) << k;  // arithmetic shift: floors
    out.data()[i] = static_cast<double>(inh ? -v : v);
  }
  return out;
}

lava_weights lava_optimize_weight_bits(const Eigen::MatrixXd& w, sign_mode mode) {
  const double max_w = w.size() ? w.maxCoeff() : 0.0, min_w = w.size() ? w.minCoeff() : 0.0;
  const bool mixed = mode == sign_mode::mixed;
  const bool ok = mixed ? (min_w >= -256 && max_w <= 255)
                        : (mode == sign_mode::excitatory ? (min_w >= 0 && max_w <= 255)
                                                         : (min_w >= -255 && max_w <= 0));
  if (!ok) throw error("lava_optimize_weight_bits: weights outside the sign mode's 8-bit range");
  lava_weights out;
  // _determine_weight_exp
  int weight_exp = 0;
  if (!(max_w == 0 && min_w == 0)) {
    const double inf = std::numeric_limits<double>::infinity();
    double scale;
    if (mixed)
      scale = std::min(max_w > 0 ? 127.0 / max_w : inf, min_w < 0 ? -128.0 / min_w : inf);
    else if (mode == sign_mode::inhibitory)
      scale = -255.0 / min_w;
    else
      scale = 255.0 / max_w;
    int scale_bits = static_cast<int>(std::floor(std::log2(scale)));
    if (mixed) scale_bits += 1;
    weight_exp = -scale_bits;
  }
  // _determine_num_weight_bits: trailing zero bits common to all weights, at most 8.
  int n = 8;
  while (n > 0) {
    double err = 0.0;
    for (Eigen::Index i = 0; i < w.size(); ++i) {
      const double x = std::ldexp(w.data()[i], -n);
      err += std::abs(x - np_round(x));
    }
    if (err == 0.0) break;
    --n;
  }
  if (mixed) --n;
  out.num_weight_bits = 8 + weight_exp - n;
  out.weight_exp = weight_exp;
  // weights.astype(int32) << -weight_exp (a negative count, weight_exp > 0, gives 0 in
  // current numpy; we keep that behaviour).
  out.weights.resize(w.rows(), w.cols());
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    const auto v = static_cast<std::int64_t>(w.data()[i]);
    out.weights.data()[i] =
        weight_exp > 0 ? 0.0 : static_cast<double>(v * (std::int64_t{1} << -weight_exp));
  }
  return out;
}

namespace {

rockpool_quantized rockpool_quantize(const Eigen::MatrixXd& w_in, const Eigen::MatrixXd& w_rec,
                                     const Eigen::VectorXd& threshold, int bits_per_weight,
                                     int bits_per_threshold, bool per_channel) {
  const Eigen::Index n = w_rec.rows();
  if (w_in.rows() != n || threshold.size() != n)
    throw error("rockpool quantize: w_in, w_rec and threshold disagree on the neuron count");
  const double max_w_quan = std::ldexp(1.0, bits_per_weight - 1) - 1.0;
  const double max_th_quan = std::ldexp(1.0, bits_per_threshold - 1) - 1.0;
  rockpool_quantized q;
  q.w_in.resize(w_in.rows(), w_in.cols());
  q.w_rec.resize(n, n);
  q.threshold.resize(n);
  q.scale.resize(n);
  auto round_all = [](const auto& m) { return m.unaryExpr([](double x) { return np_round(x); }); };
  if (!per_channel) {
    const double max_w = std::max(w_in.size() ? w_in.cwiseAbs().maxCoeff() : 0.0,
                                  w_rec.size() ? w_rec.cwiseAbs().maxCoeff() : 0.0);
    const double s = max_w == 0.0 ? 1.0 : max_w_quan / max_w;
    q.w_in = round_all(w_in * s);
    q.w_rec = round_all(w_rec * s);
    q.threshold = round_all(threshold * s);
    q.scale.setConstant(s);
    const double top = q.threshold.size() ? q.threshold.maxCoeff() : 0.0;
    if (std::abs(top) > max_th_quan) {
      // As Rockpool: rescale the already rounded integers once more.
      const double ls = max_th_quan / top;
      q.threshold = round_all(q.threshold * ls);
      q.w_in = round_all(q.w_in * ls);
      q.w_rec = round_all(q.w_rec * ls);
      q.scale *= ls;
    }
    return q;
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    const double max_w = std::max(w_in.cols() ? w_in.row(i).cwiseAbs().maxCoeff() : 0.0,
                                  w_rec.row(i).cwiseAbs().maxCoeff());
    if (max_w == 0.0) {
      q.w_in.row(i).setZero();
      q.w_rec.row(i).setZero();
      q.threshold[i] = np_round(threshold[i]);
      q.scale[i] = 1.0;
      continue;
    }
    double s = max_w_quan / max_w;
    double th = np_round(threshold[i] * s);
    if (std::abs(th) > max_th_quan) s = max_th_quan / threshold[i];  // Rockpool: ls from the float
    q.scale[i] = s;
    q.threshold[i] = np_round(threshold[i] * s);
    q.w_in.row(i) = round_all(w_in.row(i) * s);
    q.w_rec.row(i) = round_all(w_rec.row(i) * s);
  }
  return q;
}

}  // namespace

rockpool_quantized rockpool_global_quantize(const Eigen::MatrixXd& w_in,
                                            const Eigen::MatrixXd& w_rec,
                                            const Eigen::VectorXd& threshold, int bits_per_weight,
                                            int bits_per_threshold) {
  return rockpool_quantize(w_in, w_rec, threshold, bits_per_weight, bits_per_threshold, false);
}

rockpool_quantized rockpool_channel_quantize(const Eigen::MatrixXd& w_in,
                                             const Eigen::MatrixXd& w_rec,
                                             const Eigen::VectorXd& threshold, int bits_per_weight,
                                             int bits_per_threshold) {
  return rockpool_quantize(w_in, w_rec, threshold, bits_per_weight, bits_per_threshold, true);
}

}  // namespace chaoschip::neuromorphic
