#include "chaoschip/neuromorphic/backend.hpp"

#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/neuromorphic/fixed_graph_lif.hpp"
#include "chaoschip/neuromorphic/fixed_lif.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"
#include "chaoschip/neuromorphic/quantize.hpp"
#include "chaoschip/neuromorphic/xylo.hpp"

namespace chaoschip::neuromorphic {

chip_mapping backend::map_weights(const float_lif& neuron, const Eigen::MatrixXd& w_in,
                                  const Eigen::MatrixXd& w_rec, double gamma,
                                  std::uint64_t seed) const {
  stochastic_source source(seed, "chip.weights");
  chip_mapping m = map_to_chip(profile_, neuron, w_in, w_rec, &source);
  // The learning rules' pseudo-derivative, in the integer kernels' state units.
  m.loihi.gamma = gamma;
  m.fixed.gamma = gamma;
  return m;
}

update_grid backend::grid(const Eigen::MatrixXd&) const {
  const double hi = std::ldexp(1.0, profile_.weight_bits - 1) - 1.0;
  return {1.0, -hi, hi};
}

Eigen::MatrixXd backend::update_codes(const Eigen::MatrixXd& codes,
                                      const Eigen::VectorXd& row_scale, const Eigen::MatrixXd& w,
                                      stochastic_source& updates) const {
  const update_grid g = grid(codes);
  const std::uint64_t call = updates.next_call();
  auto rounded = [&](Eigen::Index i, double steps) {
    const double u = updates.uniform(call, static_cast<std::uint64_t>(i));
    return g.step * static_cast<double>(round_scaled(steps, profile_.update_rounding, u));
  };
  Eigen::MatrixXd out = codes;
  if (profile_.updates == update_mode::shadow) {
    for (Eigen::Index i = 0; i < out.size(); ++i)
      out.data()[i] = rounded(i, w.data()[i] / row_scale[i % out.rows()] / g.step);
  } else {
    for (Eigen::Index i = 0; i < out.size(); ++i)
      out.data()[i] += rounded(i, w.data()[i] / row_scale[i % out.rows()] / g.step);
  }
  return out.cwiseMax(g.lo).cwiseMin(g.hi);
}

Eigen::MatrixXd backend::codes_of(const projection&, const chip_weights& cw) const {
  return cw.codes;
}

void backend::assign_codes(projection& p, chip_weights& cw, const Eigen::MatrixXd& codes) const {
  const Eigen::VectorXd scale =
      cw.scale.size() == 1 ? Eigen::VectorXd::Constant(codes.rows(), cw.scale[0]) : cw.scale;
  p.assign(scale.asDiagonal() * codes);
  cw.codes = codes;
}

trace_arithmetic backend::traces() const noexcept {
  // Generic fixed point: the decay rounded as the state's multiplies are.
  if (profile_.trace_bits <= 0) return {};
  const rounding r = profile_.state_rounding == rounding::nearest ||
                             profile_.state_rounding == rounding::stochastic
                         ? profile_.state_rounding
                         : rounding::floor;
  return {profile_.trace_bits, profile_.trace_frac_bits, r};
}

graph_layer backend::make_graph_layer(const graph_neurons& g, const std::vector<Eigen::MatrixXd>&,
                                      stochastic_source*) const {
  const std::string k(to_string(kind()));
  throw parameter_error("chip.kernel", "\"" + k + "\"",
                        "\"float64\", \"fixed\" or \"loihi\" for a NIR graph (node '" + g.name +
                            "'): the " + k + " kernel does not run graphs in this version");
}

namespace {

// The float models, with float or dequantised weights.
class float64_backend final : public backend {
 public:
  using backend::backend;
  chip_mapping map_codes(const float_lif& f, const Eigen::MatrixXd& w_in,
                         const Eigen::MatrixXd& w_rec, stochastic_source* s) const override {
    return map_float(profile(), f, w_in, w_rec, s);
  }
  bool float_models() const noexcept override { return true; }
  recurrent_layer make_layer(const chip_mapping* m, const Eigen::MatrixXd& w_in,
                             const Eigen::MatrixXd& w_rec, std::size_t,
                             const layer_parts& parts) const override {
    recurrent_layer l;
    l.recurrent = parts.float_population();
    l.input = parts.float_projection(m ? m->dequantized_in() : w_in);
    l.rec = parts.float_projection(m ? m->dequantized_rec() : w_rec);
    return l;
  }
  // The float model runs; the weights are quantised and dequantised, or kept.
  graph_layer make_graph_layer(const graph_neurons&, const std::vector<Eigen::MatrixXd>& w,
                               stochastic_source* s) const override {
    graph_layer l;
    l.mapping = map_graph_float(profile(), w, s);
    for (std::size_t k = 0; k < w.size(); ++k)
      l.inputs.push_back(std::make_unique<dense_projection>(
          quantises() ? dequantize(l.mapping.weights[k]) : w[k]));
    return l;
  }
};

// Generic fixed point (fixed_lif): state units are codes << weight_shift.
class fixed_backend final : public backend {
 public:
  using backend::backend;
  chip_mapping map_codes(const float_lif& f, const Eigen::MatrixXd& w_in,
                         const Eigen::MatrixXd& w_rec, stochastic_source* s) const override {
    return map_fixed(profile(), f, w_in, w_rec, s);
  }
  recurrent_layer make_layer(const chip_mapping* m, const Eigen::MatrixXd&, const Eigen::MatrixXd&,
                             std::size_t n_rec, const layer_parts& parts) const override {
    recurrent_layer l;
    l.recurrent = std::make_unique<model_population<fixed_lif>>(fixed_lif(m->fixed), n_rec);
    // The state adds codes << shift: exact in doubles.
    l.input = parts.float_projection(std::ldexp(1.0, m->w_in.exponent) * m->w_in.codes);
    l.rec = parts.float_projection(std::ldexp(1.0, m->w_rec.exponent) * m->w_rec.codes);
    return l;
  }
  double psi_scale(const chip_mapping& m) const noexcept override { return m.sigma; }
  std::optional<double> membrane_decay(const chip_mapping& m) const override {
    return std::ldexp(static_cast<double>(m.fixed.alpha), -m.fixed.decay_bits);
  }
  // Weights are mapped with the exact c_in, not 1 - the decay code.
  std::optional<double> input_gain(const float_lif& f) const override { return f.c_in; }
  void assign_codes(projection& p, chip_weights& cw, const Eigen::MatrixXd& codes) const override {
    p.assign(std::ldexp(1.0, cw.exponent) * codes);  // state units, as make_layer maps
    cw.codes = codes;
  }
  graph_layer make_graph_layer(const graph_neurons& g, const std::vector<Eigen::MatrixXd>& w,
                               stochastic_source* s) const override {
    graph_layer l;
    l.mapping = map_graph_fixed(profile(), g, w, s);
    l.neurons = std::make_unique<model_population<fixed_graph_lif>>(
        fixed_graph_lif(l.mapping.fixed), static_cast<std::size_t>(g.v_th.size()));
    for (const auto& cw : l.mapping.weights)
      l.inputs.push_back(std::make_unique<dense_projection>(
          Eigen::MatrixXd(std::ldexp(1.0, cw.exponent) * cw.codes)));
    l.integer_state = true;
    return l;
  }
};

// Lava's Loihi LIF and Dense: integer weights (8-bit mantissas) with a weight exponent.
class loihi_backend final : public backend {
 public:
  using backend::backend;
  chip_mapping map_codes(const float_lif& f, const Eigen::MatrixXd& w_in,
                         const Eigen::MatrixXd& w_rec, stochastic_source* s) const override {
    return map_loihi(profile(), f, w_in, w_rec, s);
  }
  recurrent_layer make_layer(const chip_mapping* m, const Eigen::MatrixXd&, const Eigen::MatrixXd&,
                             std::size_t n_rec, const layer_parts&) const override {
    recurrent_layer l;
    l.recurrent = std::make_unique<model_population<loihi_lif>>(loihi_lif(m->loihi), n_rec);
    l.input = std::make_unique<loihi_dense>(m->w_in.codes, m->w_in.exponent);
    l.rec = std::make_unique<loihi_dense>(m->w_rec.codes, m->w_rec.exponent);
    l.input_delay = 1;  // Dense adds one step to every connection into the layer
    return l;
  }
  double psi_scale(const chip_mapping& m) const noexcept override { return m.sigma; }
  std::optional<double> membrane_decay(const chip_mapping& m) const override {
    return 1.0 - static_cast<double>(m.loihi.dv) / 4096.0;  // v *= (4096 - dv) / 4096
  }
  // Lava truncates a weight to its weight_bits most significant bits of 8 (9 with the
  // sign in mixed mode): the grid is that truncation step, the range Dense's 9-bit one.
  update_grid grid(const Eigen::MatrixXd& codes) const override {
    const int mixed = determine_sign_mode(codes) == sign_mode::mixed ? 1 : 0;
    const double step = std::ldexp(1.0, 8 - profile().weight_bits + mixed);
    return {step, -256.0, 256.0 - step};
  }
  Eigen::MatrixXd codes_of(const projection& p, const chip_weights& cw) const override {
    const auto* dense = dynamic_cast<const loihi_dense*>(&p);
    return dense ? dense->integer_weights() : cw.codes;
  }
  void assign_codes(projection& p, chip_weights& cw, const Eigen::MatrixXd& codes) const override {
    dynamic_cast<loihi_dense&>(p).set_integer_weights(codes);
    cw.codes = codes;
  }
  // The readout's projection stays a float one on this kernel.
  Eigen::MatrixXd held_weights(const projection& p) const override {
    const auto* dense = dynamic_cast<const loihi_dense*>(&p);
    return dense ? dense->integer_weights() : p.to_dense();
  }
  void set_held_weights(projection& p, const Eigen::MatrixXd& w) const override {
    if (auto* dense = dynamic_cast<loihi_dense*>(&p))
      dense->set_integer_weights(w);
    else
      p.assign(w);
  }
  bool impulse_traces() const noexcept override { return true; }
  trace_arithmetic traces() const noexcept override {
    return {profile().trace_bits > 0 ? profile().trace_bits : 0, -1, rounding::floor};
  }
  std::string_view exponent_dataset() const noexcept override { return "weight_exp"; }
  graph_layer make_graph_layer(const graph_neurons& g, const std::vector<Eigen::MatrixXd>& w,
                               stochastic_source* s) const override {
    graph_layer l;
    l.mapping = map_graph_loihi(profile(), g, w, s);
    l.neurons = std::make_unique<model_population<loihi_lif>>(
        loihi_lif(l.mapping.loihi), static_cast<std::size_t>(g.v_th.size()));
    for (const auto& cw : l.mapping.weights)
      l.inputs.push_back(std::make_unique<loihi_dense>(cw.codes, cw.exponent));
    l.min_delay = 1;  // Dense delivers in the step after the spike
    l.integer_state = true;
    return l;
  }
};

// xylosim's Xylo IAF: integer weights with a bit shift per input port; no learning.
class xylo_backend final : public backend {
 public:
  using backend::backend;
  chip_mapping map_codes(const float_lif& f, const Eigen::MatrixXd& w_in,
                         const Eigen::MatrixXd& w_rec, stochastic_source* s) const override {
    return map_xylo(profile(), f, w_in, w_rec, s);
  }
  bool learns() const noexcept override { return false; }
  recurrent_layer make_layer(const chip_mapping* m, const Eigen::MatrixXd&, const Eigen::MatrixXd&,
                             std::size_t n_rec, const layer_parts&) const override {
    recurrent_layer l;
    auto xp = m->xylo;
    xp.weight_shift = {m->w_in.exponent, m->w_rec.exponent};
    l.recurrent = std::make_unique<model_population<xylo_iaf>>(xylo_iaf(xp), n_rec);
    l.input = std::make_unique<dense_projection>(m->w_in.codes);
    l.rec = std::make_unique<dense_projection>(m->w_rec.codes);
    return l;
  }
};

}  // namespace

std::unique_ptr<backend> make_backend(const chip_profile& profile) {
  switch (profile.kernel) {
    case kernel_kind::float64:
      return std::make_unique<float64_backend>(profile);
    case kernel_kind::fixed:
      return std::make_unique<fixed_backend>(profile);
    case kernel_kind::loihi:
      return std::make_unique<loihi_backend>(profile);
    case kernel_kind::xylo:
      return std::make_unique<xylo_backend>(profile);
  }
  throw error("make_backend: unknown kernel");
}

}  // namespace chaoschip::neuromorphic
