#include "chaoschip/experiment/experiment.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/optimizer.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/io/case_file.hpp"
#include "chaoschip/io/chip.hpp"
#include "chaoschip/experiment/floss.hpp"
#include "chaoschip/experiment/lyapunov.hpp"
#include "chaoschip/models/bptt.hpp"
#include "chaoschip/models/eprop.hpp"
#include "chaoschip/models/init.hpp"
#include "chaoschip/models/lif.hpp"
#include "chaoschip/models/loss.hpp"
#include "chaoschip/models/rate.hpp"
#include "chaoschip/models/rate_ode.hpp"
#include "chaoschip/models/readout.hpp"
#include "chaoschip/models/sources.hpp"
#include "chaoschip/models/tasks.hpp"
#include "chaoschip/neuromorphic/mapping.hpp"
#include "chaoschip/neuromorphic/profile.hpp"
#include "chaoschip/neuromorphic/quantize.hpp"

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace

std::unique_ptr<projection> make_projection(const run_config& c, const Eigen::MatrixXd& w) {
  if (c.network.connectivity == "sparse")
    return std::make_unique<csr_projection>(csr_projection::from_dense(w));
  return std::make_unique<dense_projection>(w);
}

std::unique_ptr<population> make_recurrent(const run_config& c) {
  const auto n = static_cast<std::size_t>(c.network.n_rec);
  const auto& nc = c.neuron;
  const double dt = c.network.dt;
  const std::string& m = c.network.model;
  if (m == "rate")
    return std::make_unique<model_population<models::rate>>(
        models::rate({.alpha = nc.alpha, .phi = models::parse_activation(nc.phi)}, dt), n);
  if (m == "rate_ode")
    return std::make_unique<model_population<models::rate_ode>>(
        models::rate_ode({.tau = nc.tau_m,
                          .phi = models::parse_activation(nc.phi),
                          .method = nc.ode_method == "rk4" ? models::ode_method::rk4
                                                           : models::ode_method::dopri5,
                          .tol = nc.ode_tol,
                          .substeps = static_cast<int>(nc.ode_substeps)},
                         dt),
        n);
  models::lif_parameters p{
      .tau_m = nc.tau_m,
      .tau_syn = nc.tau_syn,
      .v_th = nc.v_th,
      .v_reset = nc.v_reset,
      .t_ref = nc.t_ref,
      .gamma = nc.gamma,
      .reset = nc.reset == "value" ? models::reset_mode::value : models::reset_mode::subtract,
      .regular_spike_arrival = nc.regular_spike_arrival,
      .adaptive = m == "alif",
      .tau_a = nc.tau_a,
      .beta = nc.beta,
      .n_adaptive = nc.n_adaptive,
  };
  return std::make_unique<model_population<models::lif>>(models::lif(p, dt), n);
}

namespace {

void check_finite_state(const network& net, population_id id, std::int64_t step) {
  for (const auto& var : net.at(id).variables())
    if (!net.at(id).variable(var).allFinite())
      throw numerical_error("population '" + net.name(id) + "', variable '" + var + "'", step,
                            "non-finite value (the dynamics diverged)");
}

// After a training update: a NaN survives the [w_min, w_max] clip and would be written.
void check_finite_weights(const network& net, std::int64_t iteration, std::int64_t step) {
  for (const auto& conn : net.connections()) {
    const auto* dense = dynamic_cast<const dense_projection*>(conn.weights.get());
    if (dense ? dense->weights().allFinite() : conn.weights->to_dense().allFinite()) continue;
    throw numerical_error("training update of iteration " + std::to_string(iteration), step,
                          "a weight is not finite (the gradient diverged; a smaller train.eta?)");
  }
}

}  // namespace

void check_supported(const run_config& c) {
  if (c.train.rule != "none") {
    if (c.network.model == "rate_ode" && c.train.rule == "bptt")
      throw parameter_error("train.rule", quoted(c.train.rule),
                            "\"eprop\" for network.model = \"rate_ode\" (BPTT through the ODE "
                            "integrator is not implemented; network.model = \"rate\" is the "
                            "Euler-discretised network BPTT can train)");
    if (c.chip.kernel == "xylo")
      throw parameter_error("chip.kernel", quoted(c.chip.kernel),
                            "\"float64\", \"fixed\" or \"loihi\" for training (Xylo has no "
                            "on-chip learning: train on float64 with chip.weight_bits = 8, its "
                            "weight precision, then map the weights to xylo)");
    if (c.chip.trace_bits > 0 && c.chip.kernel != "loihi" &&
        (c.chip.trace_frac_bits < 1 || c.chip.trace_frac_bits > c.chip.trace_bits))
      throw parameter_error(
          "chip.trace_frac_bits", std::to_string(c.chip.trace_frac_bits),
          "an integer in [1, chip.trace_bits = " + std::to_string(c.chip.trace_bits) +
              "] for fixed-point traces (value = code 2^-trace_frac_bits)");
    if (c.chip.trace_bits > 0 && c.train.rule == "eprop" &&
        (c.network.model == "rate" || c.network.model == "rate_ode"))
      throw parameter_error("chip.trace_bits", std::to_string(c.chip.trace_bits),
                            "0 for a rate network (the integer traces count spikes; "
                            "network.model = \"lif\" or \"alif\")");
    if (c.chip.kernel != "float64" && c.network.model != "lif")
      throw parameter_error("network.model", quoted(c.network.model),
                            "\"lif\" for training on the " + quoted(c.chip.kernel) + " kernel");
    if (c.network.connectivity != "dense")
      throw parameter_error("network.connectivity", quoted(c.network.connectivity),
                            "\"dense\" for training in this version");
  }
  if (c.floss.enabled) {
    if (c.chip.kernel == "xylo")
      throw parameter_error("chip.kernel", quoted(c.chip.kernel),
                            "\"float64\", \"fixed\" or \"loihi\" for flossing (Xylo has no "
                            "on-chip learning)");
    if (c.floss.variant == "bptt" && c.network.model != "rate")
      throw parameter_error("floss.variant", "\"bptt\"",
                            "\"local\" for network.model = " + quoted(c.network.model) +
                                " (the exact flossing gradient is implemented for rate networks)");
    if (c.network.connectivity != "dense")
      throw parameter_error("network.connectivity", quoted(c.network.connectivity),
                            "\"dense\" for flossing in this version");
  }
}

weight_set make_initial_weights(const run_config& c) {
  const auto& nc = c.network;
  if (nc.init == "file") return read_case_weights(nc.file, nc.n_in, nc.n_rec, nc.n_out);
  const auto seed = static_cast<std::uint64_t>(c.seed);
  random_stream r_in(seed, "weights.in"), r_rec(seed, "weights.rec"), r_out(seed, "weights.out"),
      r_fb(seed, "weights.feedback");
  weight_set w;
  w.w_in = models::gaussian_weights(nc.n_rec, nc.n_in, nc.input_gain, r_in);
  w.w_rec = nc.init == "orthogonal" ? models::orthogonal_weights(nc.n_rec, nc.gain, r_rec)
                                    : models::gaussian_weights(nc.n_rec, nc.n_rec, nc.gain, r_rec);
  if (!nc.autapses) w.w_rec.diagonal().setZero();
  w.w_out = models::gaussian_weights(nc.n_out, nc.n_rec, 1.0, r_out);
  // B ~ N(0,1)/sqrt(n_rec), as NEST's e-prop examples draw it.
  w.feedback = models::gaussian_weights(
      nc.n_rec, nc.n_out, std::sqrt(static_cast<double>(nc.n_out) / static_cast<double>(nc.n_rec)),
      r_fb);
  return w;
}

std::unique_ptr<models::task> make_task(const run_config& c) {
  const auto n_in = static_cast<std::size_t>(c.network.n_in);
  const auto n_out = static_cast<std::size_t>(c.network.n_out);
  const auto steps = static_cast<std::size_t>(c.task.steps);
  if (c.task.name == "sine")
    return models::make_sine_task(n_in, n_out, steps, c.task.input_rate, c.network.dt,
                                  static_cast<std::uint64_t>(c.seed));
  if (c.task.name == "none") return models::make_silent_task(n_in, n_out, steps);
  if (c.task.name != "file") {
    models::task_params p;
    p.n_in = n_in;
    p.n_out = n_out;
    p.steps = steps;
    p.dt_ms = c.network.dt;
    p.input_rate_hz = c.task.input_rate;
    p.delay = c.task.delay;
    p.coherence = c.task.coherence;
    p.seed = static_cast<std::uint64_t>(c.seed);
    return models::make_generated_task(c.task.name, p);
  }
  if (c.task.name == "file") {
    auto cases = read_case_task(c.task.file, c.network.n_in, c.network.n_out);
    std::vector<models::sequence> seqs;
    for (auto& cs : cases) {
      models::sequence s;
      s.input_spikes.resize(static_cast<std::size_t>(cs.input_spikes.rows()));
      for (Eigen::Index t = 0; t < cs.input_spikes.rows(); ++t)
        for (Eigen::Index i = 0; i < cs.input_spikes.cols(); ++i)
          if (cs.input_spikes(t, i) != 0)
            s.input_spikes[static_cast<std::size_t>(t)].push_back(static_cast<std::uint32_t>(i));
      s.target = cs.target;
      s.learning_window = std::move(cs.learning_window);
      seqs.push_back(std::move(s));
    }
    return std::make_unique<models::sequence_task>("file", n_in, n_out, std::move(seqs));
  }
  throw parameter_error("task.name", quoted(c.task.name), "a task available in this version");
}

neuromorphic::float_lif float_lif_of(const run_config& c) {
  const double dt = c.network.dt, alpha = std::exp(-dt / c.neuron.tau_m);
  return {.dt = dt,
          .tau_m = c.neuron.tau_m,
          .tau_syn = c.neuron.tau_syn,
          .v_th = c.neuron.v_th,
          .v_reset = c.neuron.v_reset,
          .t_ref = c.neuron.t_ref,
          .c_in = c.neuron.regular_spike_arrival ? 1.0 : 1.0 - alpha,
          .reset_to_value = c.neuron.reset == "value"};
}

built_network build_network(const run_config& c, const weight_set& w) {
  namespace nm = neuromorphic;
  built_network b;
  auto& net = b.net;
  const auto n_rec = static_cast<std::size_t>(c.network.n_rec);
  const nm::chip_profile profile = resolve_profile(c.chip);
  if (profile.kernel != nm::kernel_kind::float64 && c.network.model != "lif")
    throw parameter_error("network.model", quoted(c.network.model),
                          "\"lif\" with chip kernel \"" +
                              std::string(nm::to_string(profile.kernel)) +
                              "\" (fixed-point kernels implement LIF neurons)");
  if (profile.weight_bits > 0) {
    nm::stochastic_source source(static_cast<std::uint64_t>(c.seed), "chip.weights");
    b.chip = nm::map_to_chip(profile, float_lif_of(c), w.w_in, w.w_rec, &source);
    // The learning rules' pseudo-derivative, in the integer kernels' state units.
    b.chip->loihi.gamma = c.neuron.gamma;
    b.chip->fixed.gamma = c.neuron.gamma;
  }

  b.input = net.add("input", std::make_unique<models::spike_pattern_source>(
                                 static_cast<std::size_t>(c.network.n_in),
                                 models::spike_pattern_source::pattern{}));
  // Interval-local alignment of NEST's e-prop models: input x[t] and recurrent z[t-d]
  // reach the recurrent layer at t; the readout integrates z[t] in the same step. Loihi's
  // Dense synapses add one step to every connection into the recurrent layer.
  std::uint32_t delay_in = 0;
  const auto delay_rec = static_cast<std::uint32_t>(c.network.delay_rec);
  std::unique_ptr<projection> p_in, p_rec;
  switch (profile.kernel) {
    case nm::kernel_kind::float64:
      b.recurrent = net.add("recurrent", make_recurrent(c));
      p_in = make_projection(c, b.chip ? b.chip->dequantized_in() : w.w_in);
      p_rec = make_projection(c, b.chip ? b.chip->dequantized_rec() : w.w_rec);
      break;
    case nm::kernel_kind::loihi:
      b.recurrent = net.add("recurrent", std::make_unique<model_population<nm::loihi_lif>>(
                                             nm::loihi_lif(b.chip->loihi), n_rec));
      p_in = std::make_unique<nm::loihi_dense>(b.chip->w_in.codes, b.chip->w_in.exponent);
      p_rec = std::make_unique<nm::loihi_dense>(b.chip->w_rec.codes, b.chip->w_rec.exponent);
      delay_in = 1;
      break;
    case nm::kernel_kind::xylo: {
      auto xp = b.chip->xylo;
      xp.weight_shift = {b.chip->w_in.exponent, b.chip->w_rec.exponent};
      b.recurrent = net.add(
          "recurrent", std::make_unique<model_population<nm::xylo_iaf>>(nm::xylo_iaf(xp), n_rec));
      p_in = std::make_unique<dense_projection>(b.chip->w_in.codes);
      p_rec = std::make_unique<dense_projection>(b.chip->w_rec.codes);
      break;
    }
    case nm::kernel_kind::fixed:
      b.recurrent = net.add("recurrent", std::make_unique<model_population<nm::fixed_lif>>(
                                             nm::fixed_lif(b.chip->fixed), n_rec));
      // The state adds codes << shift: exact in doubles.
      p_in = make_projection(c, std::ldexp(1.0, b.chip->w_in.exponent) * b.chip->w_in.codes);
      p_rec = make_projection(c, std::ldexp(1.0, b.chip->w_rec.exponent) * b.chip->w_rec.codes);
      break;
  }
  b.readout = net.add("readout", std::make_unique<model_population<models::readout>>(
                                     models::readout({.tau = c.readout.tau}, c.network.dt),
                                     static_cast<std::size_t>(c.network.n_out)));
  b.in_rec = net.connect(b.input, b.recurrent, std::move(p_in), delay_in);
  b.rec_rec = net.connect(b.recurrent, b.recurrent, std::move(p_rec), delay_rec);
  // The readout stays off-chip, in float, reading the recurrent spikes.
  b.rec_out = net.connect(b.recurrent, b.readout, make_projection(c, w.w_out), 0);
  return b;
}

chip_data chip_data_of(const neuromorphic::chip_mapping& m, const neuromorphic::chip_profile& p) {
  chip_data d;
  d.parameters = m.parameters;
  d.sigma = m.sigma;
  const char* exponent_name =
      p.kernel == neuromorphic::kernel_kind::loihi ? "weight_exp" : "weight_shift";
  for (const auto& [name, cw] : {std::pair{"w_in", &m.w_in}, std::pair{"w_rec", &m.w_rec}})
    d.initial[name] = {cw->codes, cw->scale, {{exponent_name, std::int64_t{cw->exponent}}}};
  d.final = d.initial;
  return d;
}

run_data run_experiment(const run_config& c, const progress_fn& progress, thread_pool* pool,
                        const training_control& control) {
  check_supported(c);
  run_data out;
  out.config_toml = to_toml(c);
  out.initial = make_initial_weights(c);
  auto task = make_task(c);
  auto b = build_network(c, *out.initial);
  auto& net = b.net;
  auto& input = dynamic_cast<models::spike_pattern_source&>(net.at(b.input));
  const std::optional<neuromorphic::chip_mapping> initial_chip = b.chip;

  const auto T = static_cast<std::int64_t>(task->steps());
  const std::int64_t iterations = std::max<std::int64_t>(c.train.iterations, 1);
  std::vector<population_id> spiking;
  // A chip's state log comes with its input spikes, so its arithmetic can be replayed.
  if (c.record.spikes || (c.record.states && b.chip)) {
    spiking.push_back(b.input);
    if (net.at(b.recurrent).output() == output_kind::spikes) spiking.push_back(b.recurrent);
  }
  spike_recorder spikes(spiking);
  std::vector<population_id> stated;
  if (c.record.states) stated = {b.recurrent, b.readout};
  state_recorder states(net, stated);

  // Per step: the readout (for the loss) and what the learning rules need.
  const bool training = c.train.rule != "none";
  const bool is_spiking = net.at(b.recurrent).output() == output_kind::spikes;
  // Recorded into buffers that live for the whole run (no per-step or per-sequence
  // allocation once they have grown): spikes as per-step lists (the e-prop rule's event
  // path reads them directly), psi and graded z as [T, n] rows.
  struct trajectory_tap final : recorder {
    population_id in, rec, out;
    bool full;
    double psi_scale = 1.0;         // chip kernels: pseudo-derivative per unit of the float v
    std::uint32_t input_delay = 0;  // chip synapses that delay the input by a step
    std::vector<double> y;
    models::eprop_trajectory tr;           // x_events, z_events (or z), psi
    std::vector<std::uint32_t> x_prev;     // input_delay: the previous step's input
    std::vector<std::uint32_t> x_current;  // (scratch for the swap)
    Eigen::Index t = 0;
    void record(std::int64_t, const network& n) override {
      const auto& g = n.at(out).graded();
      y.insert(y.end(), g.data(), g.data() + g.size());
      if (!full) return;
      const auto& r = n.at(rec);
      // The input as the recurrent layer sees it: a step later behind Loihi's Dense.
      if (input_delay > 0) {
        x_current.assign(n.at(in).spikes().begin(), n.at(in).spikes().end());
        tr.x_events.push_step(x_prev);
        std::swap(x_current, x_prev);
      } else {
        tr.x_events.push_step(n.at(in).spikes());
      }
      auto psi_row = tr.psi.row(t);
      if (lif) {
        tr.z_events.push_step(r.spikes());
        psi_row = Eigen::Map<const Eigen::RowVectorXd>(lif->state().psi.data(), psi_row.size());
      } else if (chip) {
        tr.z_events.push_step(r.spikes());
        for (Eigen::Index i = 0; i < chip->state().psi.size(); ++i)
          psi_row[i] = psi_scale * chip->state().psi[i];
      } else if (fixed) {
        tr.z_events.push_step(r.spikes());
        for (Eigen::Index i = 0; i < fixed->state().psi.size(); ++i)
          psi_row[i] = psi_scale * fixed->state().psi[i];
      } else if (ode) {
        tr.z.row(t) = ode->graded().transpose();
        psi_row = ode->model_value().pseudo_derivative(ode->state()).matrix().transpose();
      } else {
        const auto& rate = dynamic_cast<const model_population<models::rate>&>(r);
        tr.z.row(t) = rate.graded().transpose();
        psi_row = rate.model_value().pseudo_derivative(rate.state()).matrix().transpose();
      }
      ++t;
    }
    // The recurrent model, resolved once per sequence rather than per step.
    const model_population<models::lif>* lif = nullptr;
    const model_population<neuromorphic::loihi_lif>* chip = nullptr;
    const model_population<neuromorphic::fixed_lif>* fixed = nullptr;
    const model_population<models::rate_ode>* ode = nullptr;
    // Ready for a sequence of `steps` steps.
    void clear(Eigen::Index steps, const network& n) {
      y.clear();
      x_prev.clear();
      t = 0;
      if (!full) return;
      const auto n_in = static_cast<Eigen::Index>(n.at(in).size()),
                 n_rec = static_cast<Eigen::Index>(n.at(rec).size());
      lif = dynamic_cast<const model_population<models::lif>*>(&n.at(rec));
      chip = dynamic_cast<const model_population<neuromorphic::loihi_lif>*>(&n.at(rec));
      fixed = dynamic_cast<const model_population<neuromorphic::fixed_lif>*>(&n.at(rec));
      ode = dynamic_cast<const model_population<models::rate_ode>*>(&n.at(rec));
      tr.x.resize(0, 0);
      tr.x_events.clear(n_in);
      tr.z_events.clear(n_rec);
      if (n.at(rec).output() == output_kind::spikes)
        tr.z.resize(0, 0);
      else
        tr.z.resize(steps, n_rec);
      tr.psi.resize(steps, n_rec);
    }
  } tap;
  tap.in = b.input;
  tap.rec = b.recurrent;
  tap.out = b.readout;
  tap.full = training;
  const bool on_chip = b.chip && b.chip->kernel == neuromorphic::kernel_kind::loihi;
  const bool fixed_kernel = b.chip && b.chip->kernel == neuromorphic::kernel_kind::fixed;
  if (on_chip) {
    tap.psi_scale = b.chip->sigma;  // d/dv_float = sigma d/dv_int
    tap.input_delay = 1;
  }
  if (fixed_kernel) tap.psi_scale = b.chip->sigma;
  // Only the recorders with something to record are called every step.
  std::vector<recorder*> recs{&tap};
  if (!spiking.empty()) recs.push_back(&spikes);
  if (!stated.empty()) recs.push_back(&states);

  auto as_matrix = [T](const std::vector<double>& v) -> models::row_matrix {
    const Eigen::Index n = static_cast<Eigen::Index>(v.size()) / T;
    return Eigen::Map<const models::row_matrix>(v.data(), T, n);
  };
  // The recurrent layer's decay and input gain: LIF membrane, or the rate map's leak.
  // On Loihi the membrane decays by (4096 - dv) / 4096 per step.
  // On the fixed kernel by the u0.decay_bits code of exp(-dt/tau_m). rate_ode: the
  // exponential-Euler map of one step, h <- e^(-dt/tau) h + (1 - e^(-dt/tau)) (W r + u),
  // exact for the input (held over the step) and first order in dt for the recurrent term.
  const bool ode_model = c.network.model == "rate_ode";
  const double alpha = on_chip        ? 1.0 - static_cast<double>(b.chip->loihi.dv) / 4096.0
                       : fixed_kernel ? std::ldexp(static_cast<double>(b.chip->fixed.alpha),
                                                   -b.chip->fixed.decay_bits)
                       : is_spiking || ode_model ? std::exp(-c.network.dt / c.neuron.tau_m)
                                                 : 1.0 - c.neuron.alpha;
  // The input gain: the fixed kernel maps weights with the exact c_in, not 1 - its
  // decay code.
  const double c_z = fixed_kernel ? float_lif_of(c).c_in
                     : is_spiking ? (c.neuron.regular_spike_arrival ? 1.0 : 1.0 - alpha)
                     : ode_model  ? 1.0 - alpha
                                  : c.neuron.alpha;
  const double kappa = c.readout.tau > 0 ? std::exp(-c.network.dt / c.readout.tau) : 0.0;
  const double f_target = c.train.f_target * c.network.dt * 1e-3;
  const double c_reg = is_spiking ? c.train.c_reg : 0.0;
  models::eprop_settings es;
  es.alpha = alpha;
  es.c_z = c_z;
  es.kappa = kappa;
  es.alpha_out = kappa;
  es.c_out = 1.0 - kappa;
  es.c_reg = c_reg;
  es.f_target = f_target;
  es.average_gradient = c.train.average_gradient;
  models::bptt_settings bs;
  bs.alpha = alpha;
  bs.c_z = c_z;
  bs.v_th = c.neuron.v_th;
  bs.alpha_out = kappa;
  bs.c_out = 1.0 - kappa;
  bs.c_reg = c_reg;
  bs.f_target = f_target;
  bs.reset_gradient = c.train.reset_gradient;
  bs.average_gradient = c.train.average_gradient;
  if (c.network.model == "alif") {
    const auto& lif = dynamic_cast<const model_population<models::lif>&>(net.at(b.recurrent));
    const auto n = static_cast<std::size_t>(c.network.n_rec);
    es.rho = bs.rho = lif.model_value().rho();
    es.beta = bs.beta = Eigen::VectorXd(static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i)
      es.beta[static_cast<Eigen::Index>(i)] = bs.beta[static_cast<Eigen::Index>(i)] =
          lif.model_value().beta_of(i, n);
  }
  const auto loss = models::parse_loss(c.readout.loss);
  const neuromorphic::chip_profile profile = resolve_profile(c.chip);
  neuromorphic::stochastic_source updates(static_cast<std::uint64_t>(c.seed), "chip.updates");
  auto& proj_in = *net.connection_at(b.in_rec).weights;
  auto& proj_rec = *net.connection_at(b.rec_rec).weights;
  auto& proj_out = *net.connection_at(b.rec_out).weights;
  // [train]'s optimizer; flossing has its own state and learning rate (floss.eta).
  auto optimizer_with = [&](double eta, std::size_t slots) {
    return optimizer(
        {.kind = c.train.optimizer == "adam" ? optimizer_kind::adam : optimizer_kind::sgd,
         .eta = eta,
         .momentum = c.train.momentum,
         .beta1 = c.train.adam_beta1,
         .beta2 = c.train.adam_beta2,
         .epsilon = c.train.adam_epsilon,
         .w_min = c.train.w_min,
         .w_max = c.train.w_max},
        slots);
  };
  optimizer opt = optimizer_with(c.train.eta, 3);
  optimizer floss_opt = optimizer_with(c.floss.eta > 0.0 ? c.floss.eta : c.train.eta, 2);

  const bool has_target = c.task.name != "none";
  const std::int64_t batch = training ? c.train.batch : 1;
  // Learning on quantised weights (chips.md, "Low-precision learning"): the optimizer's
  // step on the float weights the codes stand for (codes times their row's scale), brought
  // onto the code grid with the profile's update rounding and clipped to the code range.
  // update_mode "direct" rounds each update (pure low precision: under round-to-nearest an
  // update below half a step is lost); "shadow" lets a float64 copy take the updates and
  // re-quantises all of it each time. Loihi's grid is its truncation step, its range
  // [-256, 256 - step]; the float64 and fixed kernels' codes are symmetric,
  // +-(2^(bits-1) - 1), and the fixed kernel's projections hold them in state units.
  const bool shadowed = b.chip && profile.updates == neuromorphic::update_mode::shadow;
  std::array<Eigen::MatrixXd, 2> shadow;  // w_in, w_rec: the float weights before mapping
  if (shadowed) shadow = {out.initial->w_in, out.initial->w_rec};
  std::int64_t chip_updates = 0;
  auto chip_update = [&](optimizer& o, std::size_t slot, projection& p,
                         neuromorphic::chip_weights& cw, const Eigen::MatrixXd& g, bool no_diag) {
    auto* loihi = dynamic_cast<neuromorphic::loihi_dense*>(&p);
    Eigen::MatrixXd codes = loihi ? loihi->integer_weights() : cw.codes;
    double grid = 1.0, lo = 0.0, hi = 0.0;
    if (loihi) {
      const auto mode = neuromorphic::determine_sign_mode(codes);
      grid = std::ldexp(1.0,
                        8 - profile.weight_bits + (mode == neuromorphic::sign_mode::mixed ? 1 : 0));
      lo = -256.0;
      hi = 256.0 - grid;
    } else {
      hi = std::ldexp(1.0, profile.weight_bits - 1) - 1.0;
      lo = -hi;
    }
    const Eigen::VectorXd scale =
        cw.scale.size() == 1 ? Eigen::VectorXd::Constant(codes.rows(), cw.scale[0]) : cw.scale;
    // NaN would not survive rounding to a code as NaN: it would become a clipped extreme.
    if (!g.allFinite())
      throw numerical_error(
          slot == 0 ? "update of w_in on the chip" : "update of w_rec on the chip", chip_updates,
          "the gradient is not finite");
    ++chip_updates;
    const std::uint64_t call = updates.next_call();
    auto rounded = [&](Eigen::Index i, double steps) {
      const double u = updates.uniform(call, static_cast<std::uint64_t>(i));
      return grid *
             static_cast<double>(neuromorphic::round_scaled(steps, profile.update_rounding, u));
    };
    if (shadowed) {
      Eigen::MatrixXd& w = shadow[slot];
      o.step(slot, w, g);
      if (no_diag) w.diagonal().setZero();
      for (Eigen::Index i = 0; i < codes.size(); ++i)
        codes.data()[i] = rounded(i, w.data()[i] / scale[i % codes.rows()] / grid);
    } else {
      const Eigen::MatrixXd w0 = scale.asDiagonal() * codes;
      Eigen::MatrixXd w = w0;
      o.step(slot, w, g);
      for (Eigen::Index i = 0; i < codes.size(); ++i)
        codes.data()[i] +=
            rounded(i, (w.data()[i] - w0.data()[i]) / scale[i % codes.rows()] / grid);
    }
    codes = codes.cwiseMax(lo).cwiseMin(hi);
    if (no_diag) codes.diagonal().setZero();
    if (loihi)
      loihi->set_integer_weights(codes);
    else if (profile.kernel == neuromorphic::kernel_kind::fixed)
      p.assign(std::ldexp(1.0, cw.exponent) * codes);  // state units, as build_network maps
    else
      p.assign(scale.asDiagonal() * codes);
    cw.codes = codes;
  };
  auto update = [&](optimizer& o, std::size_t slot, projection& p, const Eigen::MatrixXd& g,
                    bool no_diag) {
    // Dense weights are updated in place (no copies).
    if (auto* dense = dynamic_cast<dense_projection*>(&p)) {
      Eigen::MatrixXd& w = dense->weights();
      o.step(slot, w, g);
      if (no_diag) w.diagonal().setZero();
      return;
    }
    Eigen::MatrixXd w = p.to_dense();
    o.step(slot, w, g);
    if (no_diag) w.diagonal().setZero();
    p.assign(w);
  };
  // The weights the float dynamics see: on the chip, the codes times their scale.
  const bool quantised = b.chip.has_value();
  auto float_weights = [&](projection& p, const neuromorphic::chip_weights* cw) {
    return cw ? neuromorphic::dequantize(*cw) : p.to_dense();
  };
  // Flossing epochs per [floss]; `at` = training iterations done so far.
  std::int64_t floss_count = 0;
  auto floss_epochs = [&](std::int64_t epochs, std::int64_t at) {
    for (std::int64_t e = 0; e < epochs; ++e) {
      const floss_epoch_result r = floss_epoch(
          c, float_weights(proj_in, b.chip ? &b.chip->w_in : nullptr),
          float_weights(proj_rec, b.chip ? &b.chip->w_rec : nullptr), floss_count++, task.get());
      if (!std::isfinite(r.loss))
        throw numerical_error("flossing", floss_count - 1, "the flossing loss is not finite");
      if (quantised) {
        chip_update(floss_opt, 0, proj_in, b.chip->w_in, r.grad_in, false);
        chip_update(floss_opt, 1, proj_rec, b.chip->w_rec, r.grad_rec, !c.network.autapses);
      } else {
        update(floss_opt, 0, proj_in, r.grad_in, false);
        update(floss_opt, 1, proj_rec, r.grad_rec, !c.network.autapses);
      }
      out.floss_loss.push_back(r.loss);
      out.floss_exponents.push_back(r.exponents);
      out.floss_iteration.push_back(at);
    }
  };
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  std::int64_t step = 0;  // global step counter across all sequences
  // Checkpoints (OUT.ckpt) and SIGINT for `chaoschip run`; a resumed run starts at `first`.
  checkpointer checkpoints(control,
                           {{&proj_in, &proj_rec, &proj_out}, b.chip ? &*b.chip : nullptr,
                            shadowed ? &shadow : nullptr, &opt, &floss_opt, &updates, &step,
                            &floss_count, &chip_updates, &last_loss, &out, &net, &spikes, &states},
                           c, iterations);
  const std::int64_t first = checkpoints.start();
  if (c.floss.enabled && !checkpoints.resuming()) floss_epochs(c.floss.pre_epochs, 0);
  const std::int64_t total = iterations * batch * T;
  models::spike_pattern_source::pattern pattern;
  for (std::int64_t it = first; it < iterations; ++it) {
    checkpoints.at(it);
    models::eprop_gradients sum;
    double loss_sum = 0.0, correct = 0.0;
    for (std::int64_t k = 0; k < batch; ++k) {
      const auto& seq = task->get(it * batch + k);
      net.reset();
      // Copied into storage that is swapped with the source's, so that after the first
      // sequences the copy reuses the per-step vectors instead of allocating T of them.
      pattern = seq.input_spikes;
      // NEST's e-prop synapses drop the events that would arrive at interval step 0.
      if (c.train.variant == "nest_bsshslm_2020" && !pattern.empty()) pattern.front().clear();
      input.swap_pattern(pattern, step);
      tap.clear(T, net);
      run_options opts;
      opts.first_step = step;
      if (progress) {
        const std::int64_t base = step;
        opts.progress = [&, base](std::int64_t done, std::int64_t) {
          progress({it + 1, iterations, base + done, total, last_loss});
        };
      }
      simulator(net).run({c.network.dt, T}, recs, opts);
      check_finite_state(net, b.recurrent, step + T - 1);
      step += T;
      if (!has_target) continue;
      const auto e = models::compute_error(as_matrix(tap.y), seq.target, seq.learning_window, loss);
      loss_sum += e.loss;
      correct += e.correct ? 1.0 : 0.0;
      if (!training) continue;
      models::eprop_trajectory& tr = tap.tr;
      models::eprop_gradients g;
      if (c.train.rule == "bptt") {
        // BPTT's matrix products take the spikes as dense [T, n] matrices.
        if (tr.x.size() == 0) tr.x = tr.x_events.dense();
        if (tr.z.size() == 0) tr.z = tr.z_events.dense();
        g = models::bptt_gradients(tr, e.error, e.window_length,
                                   float_weights(proj_rec, b.chip ? &b.chip->w_rec : nullptr),
                                   proj_out.to_dense(), bs, is_spiking);
      } else {
        models::eprop_settings seq_settings = es;
        // Presynaptic traces at the profile's trace_bits: Loihi's impulse traces on its
        // kernel; elsewhere fixed point with trace_frac_bits, the decay rounded like the state.
        if (profile.trace_bits > 0) {
          seq_settings.trace_bits = profile.trace_bits;
          if (profile.kernel != neuromorphic::kernel_kind::loihi) {
            using r = models::eprop_settings::rounding;
            seq_settings.trace_frac_bits = profile.trace_frac_bits;
            seq_settings.trace_rounding =
                profile.state_rounding == neuromorphic::rounding::nearest      ? r::nearest
                : profile.state_rounding == neuromorphic::rounding::stochastic ? r::stochastic
                                                                               : r::floor;
          }
          seq_settings.trace_seed = static_cast<std::uint64_t>(c.seed) * 1000003u +
                                    static_cast<std::uint64_t>(it * batch + k);
        }
        if (c.train.variant == "nest_bsshslm_2020") {
          const auto& next = task->get(it * batch + k + 1).input_spikes;
          if (next.size() > 1) seq_settings.late_signal_inputs = next[1];
        }
        const Eigen::MatrixXd feedback = c.train.feedback == "symmetric"
                                             ? Eigen::MatrixXd(proj_out.to_dense().transpose())
                                             : out.initial->feedback;
        g = models::eprop_gradients_of(tr, e.error, e.window_length, feedback, seq_settings);
      }
      if (k == 0) {
        sum = std::move(g);
      } else {
        sum.w_in += g.w_in;
        sum.w_rec += g.w_rec;
        sum.w_out += g.w_out;
      }
    }
    if (!has_target) continue;
    last_loss = loss_sum / static_cast<double>(batch);
    if (!std::isfinite(last_loss))
      throw numerical_error("training loss of iteration " + std::to_string(it), step,
                            "the loss is not finite (the readout diverged; a smaller train.eta?)");
    out.train_loss.push_back(last_loss);
    if (task->classification()) out.train_accuracy.push_back(correct / static_cast<double>(batch));
    if (training) {
      const double inv = 1.0 / static_cast<double>(batch);
      if (quantised) {
        chip_update(opt, 0, proj_in, b.chip->w_in, inv * sum.w_in, false);
        chip_update(opt, 1, proj_rec, b.chip->w_rec, inv * sum.w_rec, !c.network.autapses);
      } else {
        update(opt, 0, proj_in, inv * sum.w_in, false);
        update(opt, 1, proj_rec, inv * sum.w_rec, !c.network.autapses);
      }
      update(opt, 2, proj_out, inv * sum.w_out, false);
      check_finite_weights(net, it, step);
    }
    if (c.floss.enabled && c.floss.every > 0 && (it + 1) % c.floss.every == 0)
      floss_epochs(c.floss.epochs, it + 1);
  }
  checkpoints.at(iterations);
  checkpoints.finish();
  if (progress) progress({iterations, iterations, step, step, last_loss, true});

  if (training || !out.floss_loss.empty()) {
    // In float units: the float64 kernel's projections hold them; the integer kernels'
    // projections hold state units, so their codes are dequantised instead.
    const bool float_kernel = profile.kernel == neuromorphic::kernel_kind::float64;
    out.final = weight_set{float_kernel ? proj_in.to_dense() : b.chip->dequantized_in(),
                           float_kernel ? proj_rec.to_dense() : b.chip->dequantized_rec(),
                           proj_out.to_dense(),
                           {},
                           b.chip.has_value()};
  } else {
    // Unchanged; stored for scripts that always read /network/final.
    out.final = *out.initial;
    out.final->feedback.resize(0, 0);
  }
  if (b.chip) {
    // Initial codes as mapped; final codes as learned (chip_update keeps b.chip current).
    out.chip = chip_data_of(*initial_chip, profile);
    out.chip->final = chip_data_of(*b.chip, profile).initial;
    if (shadowed) out.chip->shadow = {{"w_in", shadow[0]}, {"w_rec", shadow[1]}};
  }

  for (const auto& [id, train] : spikes.all()) {
    spike_data s{net.name(id), {}, train.node_ids};
    s.timestamps.reserve(train.steps.size());
    for (auto t : train.steps) s.timestamps.push_back(static_cast<double>(t) * c.network.dt);
    out.spikes.push_back(std::move(s));
  }
  const bool integer_state = resolve_profile(c.chip).kernel != neuromorphic::kernel_kind::float64;
  for (const auto& [key, series] : states.all())
    out.states.push_back({net.name(key.first), key.second, series.steps(), series.n, series.values,
                          integer_state && key.first == b.recurrent});
  if (c.record.states) {
    // One trajectory with fixed weights can be replayed by `chaoschip lyapunov`; a training
    // log (networks reset between sequences, weights changing) cannot.
    const bool single = iterations * batch == 1;
    out.states_attributes["recurrent"] = {{"trajectory", single ? "run" : "training"},
                                          {"t0", std::int64_t{1}},
                                          {"weights", "initial"}};
  }
  for (const auto& when : c.lyapunov.when)
    out.lyapunov.emplace_back(
        when, measure_lyapunov(c, when == "before" ? *out.initial : *out.final, pool));
  out.root_attributes["steps"] = step;
  out.root_attributes["dt"] = c.network.dt;
  out.root_attributes["model"] = c.network.model;
  return out;
}

std::string_view default_experiment_toml() {
  // NEST's e-prop sine-wave network, untrained, with states and spikes recorded;
  // `chaoschip run` without CONFIG adds a small gain study (default_study).
  return R"(# chaoschip's embedded default experiment (chaoschip run without CONFIG): NEST's
# e-prop sine-wave network (100 inputs, 100 LIF, leaky readout) simulated for a few
# sequences with states and spikes recorded; `chaoschip run` without CONFIG and --set then
# adds a small gain study with e-prop (/study in the run file).
seed = 1

[network]
model = "lif"
n_in = 100
n_rec = 100
n_out = 1
gain = 1.0

[task]
name = "sine"

[train]
rule = "none"
iterations = 10

[record]
states = true
spikes = true
)";
}

study_table default_study(const std::vector<std::string>& overrides, thread_pool* pool,
                          const std::function<void(std::size_t, std::size_t)>& progress) {
  const std::vector<double> gains = {0.5, 2.0, 8.0};
  const std::vector<std::string> profiles = {"float64", "loihi"};
  struct point {
    double gain;
    std::string profile;
  };
  std::vector<point> points;
  for (const auto& p : profiles)
    for (double g : gains) points.push_back({g, p});
  std::vector<run_data> results(points.size());
  std::size_t done = 0;
  std::mutex report;
  auto one = [&](std::size_t i) {
    // e-prop with Adam (NEST's SGD at 1e-4 barely moves in 30 iterations), NEST's
    // firing-rate regularisation, short spectra.
    std::vector<std::string> sets = {"train.rule=\"eprop\"", "train.optimizer=\"adam\"",
                                     "train.eta=5e-3",       "train.c_reg=300.0",
                                     "train.iterations=30",  "lyapunov.steps=500",
                                     "lyapunov.warmup=100"};
    sets.insert(sets.end(), overrides.begin(), overrides.end());
    sets.push_back(fmt::format("network.gain={}", points[i].gain));
    sets.push_back("chip.profile=\"" + points[i].profile + "\"");
    sets.push_back("record.states=false");
    sets.push_back("record.spikes=false");
    results[i] =
        run_experiment(parse_config(default_experiment_toml(), "<embedded default>", sets));
    const std::lock_guard lock(report);
    if (progress) progress(++done, points.size());
  };
  if (pool)
    pool->parallel_for(points.size(), one);
  else
    for (std::size_t i = 0; i < points.size(); ++i) one(i);

  std::vector<double> gain, loss, before, after;
  std::vector<std::string> profile;
  auto first = [](const run_data& r, const char* group) {
    for (const auto& [name, l] : r.lyapunov)
      if (name == group) return l.exponents[0];
    return std::numeric_limits<double>::quiet_NaN();
  };
  for (std::size_t i = 0; i < points.size(); ++i) {
    gain.push_back(points[i].gain);
    profile.push_back(points[i].profile);
    loss.push_back(results[i].train_loss.empty() ? std::numeric_limits<double>::quiet_NaN()
                                                 : results[i].train_loss.back());
    before.push_back(first(results[i], "before"));
    after.push_back(first(results[i], "after"));
  }
  study_table t;
  t.numbers = {{"network.gain", gain},
               {"final_loss", loss},
               {"lambda_max_before", before},
               {"lambda_max_after", after}};
  t.strings = {{"chip.profile", profile}};
  return t;
}

}  // namespace chaoschip::experiment
