#include "chaoschip/neuromorphic/mapping.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/neuromorphic/backend.hpp"
#include "chaoschip/neuromorphic/quantize.hpp"

namespace chaoschip::neuromorphic {

namespace {

Eigen::VectorXd scalar(double x) {
  return Eigen::VectorXd::Constant(1, x);
}

double max_abs(const Eigen::MatrixXd& m) {
  return m.size() ? m.cwiseAbs().maxCoeff() : 0.0;
}

// Rounds x (already in code units) element-wise with the profile's weight rounding.
Eigen::MatrixXd round_codes(const Eigen::MatrixXd& x, rounding r, stochastic_source* source) {
  if (r == rounding::stochastic && !source)
    throw error("map_to_chip: stochastic weight rounding needs a stochastic_source");
  const std::uint64_t call = r == rounding::stochastic ? source->next_call() : 0;
  Eigen::MatrixXd out(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double u =
        r == rounding::stochastic ? source->uniform(call, static_cast<std::uint64_t>(i)) : 0.5;
    out.data()[i] = static_cast<double>(round_scaled(x.data()[i], r, u));
  }
  return out;
}

// A power-of-two scale for fixed-point weights: codes = w_state / 2^shift in `bits` bits.
chip_weights shift_quantize(const Eigen::MatrixXd& w_state, int bits, rounding r,
                            stochastic_source* source, double sigma) {
  const double q_max = std::ldexp(1.0, bits - 1) - 1.0;
  const double m = max_abs(w_state);
  int shift = 0;
  while (m / std::ldexp(1.0, shift) > q_max && shift < 62) ++shift;
  chip_weights cw;
  cw.exponent = shift;
  cw.codes =
      round_codes(w_state / std::ldexp(1.0, shift), r, source).cwiseMax(-q_max).cwiseMin(q_max);
  cw.scale = Eigen::VectorXd::Constant(1, std::ldexp(1.0, shift) / sigma);
  return cw;
}

}  // namespace

chip_mapping map_loihi(const chip_profile& p, const float_lif& f, const Eigen::MatrixXd& w_in,
                       const Eigen::MatrixXd& w_rec, stochastic_source* source) {
  chip_mapping m;
  auto& lp = m.loihi;
  // u keeps the synaptic current: du from tau_syn (4095: gone after one step, delta
  // synapses); ds_offset = 1 is added by the chip.
  lp.du = f.tau_syn > 0
              ? std::clamp<std::int64_t>(
                    std::llround(4096.0 * (1.0 - std::exp(-f.dt / f.tau_syn))) - 1, 0, 4095)
              : 4095;
  lp.dv =
      std::clamp<std::int64_t>(std::llround(4096.0 * (1.0 - std::exp(-f.dt / f.tau_m))), 0, 4095);
  lp.state_bits = p.state_bits;
  // v gains 64 * a with a = mantissa * 2^weight_exp per spike. The largest |c_in w| takes the
  // largest even 8-bit mantissa (254) at the exponent e that keeps vth within 17 bits.
  const double m_in = f.c_in * max_abs(w_in), m_rec = f.c_in * max_abs(w_rec);
  const double m_all = std::max({m_in, m_rec, 1e-300});
  int e = 7;
  auto vth_at = [&](int ex) { return f.v_th * 254.0 * std::ldexp(1.0, ex) / m_all; };
  while (e > -16 && vth_at(e) > 131071.0) --e;
  m.sigma = 254.0 * 64.0 * std::ldexp(1.0, e) / m_all;
  lp.vth = std::llround(f.v_th * m.sigma / 64.0);
  const int nwb = p.weight_bits;
  auto project = [&](const Eigen::MatrixXd& w, double m_p) {
    chip_weights cw;
    // A projection with smaller weights uses a finer exponent (its own Dense weight_exp).
    cw.exponent = m_p > 0 ? e - static_cast<int>(std::floor(std::log2(m_all / m_p))) : e;
    const double unit = 64.0 * std::ldexp(1.0, cw.exponent);  // v codes per mantissa step
    Eigen::MatrixXd codes = round_codes(f.c_in * w * m.sigma / unit, p.weight_rounding, source);
    const auto mode = determine_sign_mode(codes);
    codes = lava_truncate_weights(lava_clip_weights(codes, mode, 8), mode, nwb);
    cw.codes = codes;
    cw.scale = Eigen::VectorXd::Constant(1, unit / (m.sigma * f.c_in));
    return cw;
  };
  m.w_in = project(w_in, m_in);
  m.w_rec = project(w_rec, m_rec);
  m.parameters = {{"du", scalar(double(lp.du))},
                  {"dv", scalar(double(lp.dv))},
                  {"vth", scalar(double(lp.vth))},
                  {"bias_mant", scalar(double(lp.bias_mant))},
                  {"bias_exp", scalar(double(lp.bias_exp))}};
  return m;
}

chip_mapping map_xylo(const chip_profile& p, const float_lif& f, const Eigen::MatrixXd& w_in,
                      const Eigen::MatrixXd& w_rec, stochastic_source*) {
  chip_mapping m;
  auto& xp = m.xylo;
  auto dash = [&](double tau, std::int64_t lo) {
    return std::clamp<std::int64_t>(std::llround(std::log2(tau / f.dt)), lo, 15);
  };
  xp.dash_mem = dash(f.tau_m, 0);
  // An input enters v through i_syn; dash_syn = 0 would erase it, so delta synapses map
  // to the fastest current that passes input (dash_syn = 1).
  xp.dash_syn = f.tau_syn > 0 ? dash(f.tau_syn, 1) : 1;
  xp.state_bits = p.state_bits;
  xp.max_spikes = p.max_spikes;
  const Eigen::Index n = w_rec.rows();
  const Eigen::VectorXd thr = Eigen::VectorXd::Constant(n, f.v_th);
  const auto q = p.quantizer == quantizer_kind::rockpool_channel
                     ? rockpool_channel_quantize(f.c_in * w_in, f.c_in * w_rec, thr, p.weight_bits,
                                                 p.state_bits)
                     : rockpool_global_quantize(f.c_in * w_in, f.c_in * w_rec, thr, p.weight_bits,
                                                p.state_bits);
  xp.v_th.assign(q.threshold.data(), q.threshold.data() + q.threshold.size());
  m.sigma = q.scale.maxCoeff();
  m.w_in = {q.w_in, 0, (f.c_in * q.scale).cwiseInverse()};
  m.w_rec = {q.w_rec, 0, (f.c_in * q.scale).cwiseInverse()};
  if (p.quantizer != quantizer_kind::rockpool_channel) {
    m.w_in.scale.conservativeResize(1);
    m.w_rec.scale.conservativeResize(1);
  }
  Eigen::VectorXd th(static_cast<Eigen::Index>(xp.v_th.size()));
  for (std::size_t i = 0; i < xp.v_th.size(); ++i)
    th[static_cast<Eigen::Index>(i)] = double(xp.v_th[i]);
  m.parameters = {{"v_th", th},
                  {"dash_mem", scalar(double(xp.dash_mem))},
                  {"dash_syn", scalar(double(xp.dash_syn))},
                  {"bias", scalar(double(xp.bias))},
                  {"max_spikes", scalar(double(xp.max_spikes))}};
  return m;
}

chip_mapping map_fixed(const chip_profile& p, const float_lif& f, const Eigen::MatrixXd& w_in,
                       const Eigen::MatrixXd& w_rec, stochastic_source* source) {
  chip_mapping m;
  auto& fp = m.fixed;
  fp.state = {p.state_bits, p.state_frac_bits, true};
  fp.over = p.state_overflow;
  fp.multiply_rounding = p.state_rounding;
  fp.decay_bits = p.decay_bits;
  const double unit = std::ldexp(1.0, p.decay_bits);
  const auto code = [&](double x) {
    return std::min<std::int64_t>(std::llround(x * unit), std::llround(unit) - 1);
  };
  fp.alpha = code(std::exp(-f.dt / f.tau_m));
  if (f.tau_syn > 0) {
    const double a = std::exp(-f.dt / f.tau_m), as = std::exp(-f.dt / f.tau_syn);
    fp.alpha_syn = code(as);
    const double p21 = std::abs(f.tau_syn - f.tau_m) < 1e-12 * f.tau_m
                           ? f.dt / f.tau_m * a
                           : f.tau_syn / (f.tau_syn - f.tau_m) * (as - a);
    fp.p21 = code(p21);
  }
  m.sigma = std::ldexp(1.0, p.state_frac_bits);
  fp.v_th = std::llround(f.v_th * m.sigma);
  // A threshold of 0 codes makes every neuron fire every step (and the pseudo-derivative
  // undefined): the state's fractional bits must resolve v_th.
  if (fp.v_th < 1)
    throw parameter_error(
        "chip.state_frac_bits", std::to_string(p.state_frac_bits),
        "enough fractional bits to represent neuron.v_th = " + std::to_string(f.v_th) +
            " (at least " + std::to_string(static_cast<int>(std::ceil(-std::log2(f.v_th)))) + ")");
  fp.v_reset = std::llround(f.v_reset * m.sigma);
  fp.refractory_steps = static_cast<int>(std::lround(f.t_ref / f.dt));
  fp.reset_to_value = f.reset_to_value;
  // Exponential synapses take the weight into i_syn unscaled; delta synapses into v with c_in.
  const double gain = f.tau_syn > 0 ? 1.0 : f.c_in;
  m.w_in = shift_quantize(gain * w_in * m.sigma, p.weight_bits, p.weight_rounding, source,
                          m.sigma * gain);
  m.w_rec = shift_quantize(gain * w_rec * m.sigma, p.weight_bits, p.weight_rounding, source,
                           m.sigma * gain);
  m.parameters = {{"alpha", scalar(double(fp.alpha))},
                  {"alpha_syn", scalar(double(fp.alpha_syn))},
                  {"p21", scalar(double(fp.p21))},
                  {"v_th", scalar(double(fp.v_th))},
                  {"v_reset", scalar(double(fp.v_reset))},
                  {"decay_bits", scalar(double(fp.decay_bits))},
                  {"state_bits", scalar(double(p.state_bits))},
                  {"state_frac_bits", scalar(double(p.state_frac_bits))}};
  return m;
}

namespace {

// float64 kernel: one matrix quantised (per_tensor, per_row, shift) or kept (0 bits).
chip_weights float_codes(const chip_profile& p, const Eigen::MatrixXd& w,
                         stochastic_source* source) {
  chip_weights cw;
  if (p.weight_bits == 0) {
    cw.codes = w;
    cw.scale = Eigen::VectorXd::Ones(1);
    return cw;
  }
  if (p.quantizer == quantizer_kind::shift) {
    // Power-of-two steps: 2^-k with the largest k that keeps max |w| representable.
    const double q_max = std::ldexp(1.0, p.weight_bits - 1) - 1.0, mx = max_abs(w);
    int k = 0;
    while (k < 60 && mx * std::ldexp(1.0, k + 1) <= q_max) ++k;
    while (k > -60 && mx * std::ldexp(1.0, k) > q_max) --k;
    return shift_quantize(w * std::ldexp(1.0, k), p.weight_bits, p.weight_rounding, source,
                          std::ldexp(1.0, k));
  }
  const auto q = p.quantizer == quantizer_kind::per_row
                     ? quantize_per_row(w, p.weight_bits, p.weight_rounding, source)
                     : quantize_per_tensor(w, p.weight_bits, p.weight_rounding, source);
  cw.codes = q.codes;
  cw.scale = q.row_scale;
  return cw;
}

void require_float_quantizer(const chip_profile& p) {
  if (p.weight_bits > 0 && p.quantizer != quantizer_kind::per_tensor &&
      p.quantizer != quantizer_kind::per_row && p.quantizer != quantizer_kind::shift)
    throw parameter_error("chip.quantizer", "\"" + std::string(to_string(p.quantizer)) + "\"",
                          "\"per_tensor\", \"per_row\" or \"shift\" with kernel \"float64\"");
}

}  // namespace

chip_mapping map_float(const chip_profile& p, const float_lif&, const Eigen::MatrixXd& w_in,
                       const Eigen::MatrixXd& w_rec, stochastic_source* source) {
  chip_mapping m;
  require_float_quantizer(p);
  m.w_in = float_codes(p, w_in, source);
  m.w_rec = float_codes(p, w_rec, source);
  return m;
}

Eigen::MatrixXd dequantize(const chip_weights& w) {
  if (w.scale.size() == 1) return w.codes * w.scale[0];
  return w.scale.asDiagonal() * w.codes;
}

Eigen::MatrixXd chip_mapping::dequantized_in() const {
  return dequantize(w_in);
}
Eigen::MatrixXd chip_mapping::dequantized_rec() const {
  return dequantize(w_rec);
}

chip_mapping map_to_chip(const chip_profile& profile, const float_lif& neuron,
                         const Eigen::MatrixXd& w_in, const Eigen::MatrixXd& w_rec,
                         stochastic_source* source) {
  validate(profile);
  chip_mapping m = make_backend(profile)->map_codes(neuron, w_in, w_rec, source);
  m.kernel = profile.kernel;
  return m;
}

// ---- NIR graphs (docs/nir.md, "Graphs on a chip") ----

namespace {

// An array of one value per neuron as the kernels' parameters: one value when all agree
// (the homogeneous fast path), else all of them.
int_array compact(const Eigen::ArrayXd& x) {
  const Eigen::Index n = (x.size() > 0 && (x == x[0]).all()) ? 1 : x.size();
  int_array out(n);
  for (Eigen::Index i = 0; i < n; ++i) out[i] = std::llround(x[i]);
  return out;
}

Eigen::ArrayXd rounded(const Eigen::ArrayXd& x) {
  return x.unaryExpr([](double v) { return std::nearbyint(v); });
}

// Per-row scale: the float weight per code of target j when a code stands for `unit` state
// codes and a float weight w for w gain_j sigma state codes (rows with gain 0 get 0).
Eigen::VectorXd row_scale(const Eigen::ArrayXd& gain, double unit, double sigma) {
  return gain.unaryExpr([&](double g) { return g != 0.0 ? unit / (sigma * g) : 0.0; }).matrix();
}

void require_lif(const chip_profile& p, const graph_neurons& g) {
  if (!g.lif)
    throw parameter_error("chip.kernel", "\"" + std::string(to_string(p.kernel)) + "\"",
                          "\"float64\" for graph node '" + g.name + "' (" + g.type + "): the " +
                              std::string(to_string(p.kernel)) +
                              " kernel runs a graph's LIF and CubaLIF nodes only");
}

}  // namespace

graph_mapping map_graph_loihi(const chip_profile& p, const graph_neurons& g,
                              const std::vector<Eigen::MatrixXd>& w, stochastic_source* source) {
  require_lif(p, g);
  if (g.subtract)
    throw parameter_error("nir.reset", "\"subtract\"",
                          "\"value\" on the loihi kernel (Lava's LIF resets v to 0)");
  if ((g.v_reset != 0.0).any())
    throw parameter_error("chip.kernel", "\"loihi\"",
                          "a kernel that resets to v_reset for graph node '" + g.name +
                              "' (its v_reset is not 0; Lava's LIF resets v to 0)");
  graph_mapping m;
  auto& lp = m.loihi;
  lp.state_bits = p.state_bits;
  std::vector<double> peak;
  double m_all = 1e-300;
  for (const auto& x : w) {
    peak.push_back(max_abs(g.gain.matrix().asDiagonal() * x));
    m_all = std::max(m_all, peak.back());
  }
  // As map_loihi: the largest |gain w| takes mantissa 254 at the largest weight_exp <= 7
  // that keeps every threshold within 17 bits.
  const double th_max = g.v_th.maxCoeff();
  int e = 7;
  while (e > -16 && th_max * 254.0 * std::ldexp(1.0, e) / m_all > 131071.0) --e;
  m.sigma = 254.0 * 64.0 * std::ldexp(1.0, e) / m_all;
  const Eigen::ArrayXd du = g.synapse
                                ? Eigen::ArrayXd(rounded(4096.0 * (1.0 - g.decay_syn)) - 1.0)
                                : Eigen::ArrayXd(Eigen::ArrayXd::Constant(g.v_th.size(), 4095.0));
  const Eigen::ArrayXd dv = rounded(4096.0 * (1.0 - g.decay_mem));
  lp.du_n = compact(du.max(0.0).min(4095.0));
  lp.dv_n = compact(dv.max(0.0).min(4095.0));
  lp.vth_n = compact(rounded(g.v_th * m.sigma / 64.0));
  // The leak into v each step: bias_mant << bias_exp, a 13-bit signed mantissa.
  const Eigen::ArrayXd bias = g.leak * m.sigma;
  Eigen::ArrayXd mant(bias.size()), ex(bias.size());
  for (Eigen::Index i = 0; i < bias.size(); ++i) {
    int k = 0;
    while (k < 30 && std::abs(std::nearbyint(std::ldexp(bias[i], -k))) > 4095.0) ++k;
    ex[i] = k;
    mant[i] = std::nearbyint(std::ldexp(bias[i], -k));
  }
  lp.bias_mant_n = compact(mant);
  lp.bias_exp_n = compact(ex);
  for (std::size_t k = 0; k < w.size(); ++k) {
    chip_weights cw;
    cw.exponent = peak[k] > 0
                      ? std::max(-24, e - static_cast<int>(std::floor(std::log2(m_all / peak[k]))))
                      : e;
    const double unit = 64.0 * std::ldexp(1.0, cw.exponent);  // v codes per mantissa step
    Eigen::MatrixXd codes = round_codes((m.sigma / unit) * (g.gain.matrix().asDiagonal() * w[k]),
                                        p.weight_rounding, source);
    const auto mode = determine_sign_mode(codes);
    cw.codes = lava_truncate_weights(lava_clip_weights(codes, mode, 8), mode, p.weight_bits);
    cw.scale = row_scale(g.gain, unit, m.sigma);
    m.weights.push_back(std::move(cw));
  }
  // The homogeneous fast path: one value for all neurons goes into the scalars.
  auto scalar = [](int_array& a, std::int64_t& s) {
    if (a.size() == 1) {
      s = a[0];
      a.resize(0);
    }
  };
  scalar(lp.du_n, lp.du);
  scalar(lp.dv_n, lp.dv);
  scalar(lp.vth_n, lp.vth);
  scalar(lp.bias_mant_n, lp.bias_mant);
  scalar(lp.bias_exp_n, lp.bias_exp);
  return m;
}

graph_mapping map_graph_fixed(const chip_profile& p, const graph_neurons& g,
                              const std::vector<Eigen::MatrixXd>& w, stochastic_source* source) {
  require_lif(p, g);
  graph_mapping m;
  auto& fp = m.fixed;
  fp.state = {p.state_bits, p.state_frac_bits, true};
  fp.over = p.state_overflow;
  fp.multiply_rounding = p.state_rounding;
  fp.decay_bits = p.decay_bits;
  fp.synapse = g.synapse;
  fp.subtract = g.subtract;
  const double unit = std::ldexp(1.0, p.decay_bits);
  const auto decay = [&](const Eigen::ArrayXd& a) {
    return compact(rounded(a * unit).min(unit - 1.0).max(0.0));
  };
  fp.alpha = decay(g.decay_mem);
  fp.alpha_syn = g.synapse ? decay(g.decay_syn) : int_array::Zero(1);
  m.sigma = std::ldexp(1.0, p.state_frac_bits);
  const Eigen::ArrayXd th = rounded(g.v_th * m.sigma);
  if ((th < 1.0).any())
    throw parameter_error(
        "chip.state_frac_bits", std::to_string(p.state_frac_bits),
        "enough fractional bits to represent the v_threshold of graph node '" + g.name +
            "' (at least " +
            std::to_string(static_cast<int>(std::ceil(-std::log2(g.v_th.minCoeff())))) + ")");
  fp.v_th = compact(th);
  fp.v_reset = compact(rounded(g.v_reset * m.sigma));
  fp.leak = compact(rounded(g.leak * m.sigma));
  for (const auto& x : w) {
    chip_weights cw = shift_quantize(m.sigma * (g.gain.matrix().asDiagonal() * x), p.weight_bits,
                                     p.weight_rounding, source, m.sigma);
    cw.scale = row_scale(g.gain, std::ldexp(1.0, cw.exponent), m.sigma);
    m.weights.push_back(std::move(cw));
  }
  return m;
}

graph_mapping map_graph_float(const chip_profile& p, const std::vector<Eigen::MatrixXd>& w,
                              stochastic_source* source) {
  require_float_quantizer(p);
  graph_mapping m;
  for (const auto& x : w) m.weights.push_back(float_codes(p, x, source));
  return m;
}

}  // namespace chaoschip::neuromorphic
