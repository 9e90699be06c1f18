#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/model_binding.hpp"

#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/io/case_file.hpp"
#include "chaoschip/io/chip.hpp"
#include "chaoschip/models/init.hpp"
#include "chaoschip/models/lif.hpp"
#include "chaoschip/models/rate.hpp"
#include "chaoschip/models/rate_ode.hpp"
#include "chaoschip/models/readout.hpp"
#include "chaoschip/models/sources.hpp"
#include "chaoschip/models/tasks.hpp"

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

weight_set make_initial_weights(const run_config& c) {
  const auto& nc = c.network;
  if (nc.init == "file") return read_case_weights(nc.file, nc.n_in, nc.n_rec, nc.n_out);
  const auto seed = static_cast<std::uint64_t>(c.seed);
  random_stream r_in(seed, "weights.in"), r_rec(seed, "weights.rec"), r_out(seed, "weights.out");
  weight_set w;
  w.w_in = models::gaussian_weights(nc.n_rec, nc.n_in, nc.input_gain, r_in);
  w.w_rec = nc.init == "orthogonal" ? models::orthogonal_weights(nc.n_rec, nc.gain, r_rec)
                                    : models::gaussian_weights(nc.n_rec, nc.n_rec, nc.gain, r_rec);
  if (!nc.autapses) w.w_rec.diagonal().setZero();
  w.w_out = models::gaussian_weights(nc.n_out, nc.n_rec, 1.0, r_out);
  w.feedback = make_feedback(seed, nc.n_rec, nc.n_out);
  return w;
}

Eigen::MatrixXd make_feedback(std::uint64_t seed, std::int64_t n_rec, std::int64_t n_out) {
  random_stream r_fb(seed, "weights.feedback");
  // B ~ N(0,1)/sqrt(n_rec), as NEST's e-prop examples draw it.
  return models::gaussian_weights(
      n_rec, n_out, std::sqrt(static_cast<double>(n_out) / static_cast<double>(n_rec)), r_fb);
}

std::unique_ptr<models::task> make_task(const run_config& c, bool require_target) {
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
    auto cases = read_case_task(c.task.file, c.network.n_in, c.network.n_out, require_target);
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

void check_recurrent_model(const run_config& c, const neuromorphic::backend& backend) {
  check_recurrent_model(model_of(c), backend);
}

void check_recurrent_model(models::model_kind model, const neuromorphic::backend& backend) {
  if (!backend.float_models() && model != models::model_kind::lif)
    throw parameter_error("network.model", quoted(std::string(models::to_string(model))),
                          "\"lif\" with chip kernel \"" +
                              std::string(neuromorphic::to_string(backend.kind())) +
                              "\" (fixed-point kernels implement LIF neurons)");
}

std::unique_ptr<population> make_recurrent(const network_plan& n) {
  return models::make_population(n.recurrent_model, n.recurrent_values, n.recurrent_dt, n.n_rec);
}

built_network build(const plan& p) {
  namespace nm = neuromorphic;
  const run_config& c = p.config;
  const nm::backend& backend = *p.chip.backend;
  built_network b;
  auto& net = b.net;
  check_recurrent_model(p.network.recurrent_model, backend);
  const auto& w_in = p.network.in_rec.weights;
  const auto& w_rec = p.network.rec_rec.weights;
  if (backend.quantises())
    b.chip = backend.map_weights(p.chip.neuron, w_in, w_rec, p.chip.gamma, p.chip.seed);

  b.input =
      net.add(p.network.input_name, std::make_unique<models::spike_pattern_source>(
                                        p.network.n_in, models::spike_pattern_source::pattern{}));
  // Interval-local alignment of NEST's e-prop models: input x[t] and recurrent z[t-d]
  // reach the recurrent layer at t; the readout integrates z[t] in the same step. A
  // kernel's synapses may add a step (Loihi's Dense) to the input.
  nm::recurrent_layer layer =
      backend.make_layer(b.chip ? &*b.chip : nullptr, w_in, w_rec, p.network.n_rec,
                         {[&p] { return make_recurrent(p.network); },
                          [&c](const Eigen::MatrixXd& w) { return make_projection(c, w); }});
  b.recurrent = net.add(p.network.recurrent_name, std::move(layer.recurrent));
  b.readout =
      net.add(p.network.readout_name,
              std::make_unique<model_population<models::readout>>(
                  models::readout({.tau = p.network.readout_tau}, p.network.dt), p.network.n_out));
  b.in_rec = net.connect(b.input, b.recurrent, std::move(layer.input),
                         p.network.in_rec.delay + layer.input_delay);
  b.rec_rec = net.connect(b.recurrent, b.recurrent, std::move(layer.rec), p.network.rec_rec.delay);
  // The readout stays off-chip, in float, reading the recurrent spikes.
  b.rec_out = net.connect(b.recurrent, b.readout, make_projection(c, p.network.rec_out.weights),
                          p.network.rec_out.delay);
  return b;
}

built_network build_network(const run_config& c, const weight_set& w) {
  plan p;
  p.config = c;
  p.network = network_plan_of(c, w);
  p.chip = chip_plan_of(c);
  return build(p);
}

chip_data chip_data_of(const neuromorphic::chip_mapping& m, const neuromorphic::backend& backend) {
  chip_data d;
  d.parameters = m.parameters;
  d.sigma = m.sigma;
  const std::string exponent_name(backend.exponent_dataset());
  for (const auto& [name, cw] : {std::pair{"w_in", &m.w_in}, std::pair{"w_rec", &m.w_rec}})
    d.initial[name] = {cw->codes, cw->scale, {{exponent_name, std::int64_t{cw->exponent}}}};
  d.final = d.initial;
  return d;
}

chip_data chip_data_of(const neuromorphic::chip_mapping& m, const neuromorphic::chip_profile& p) {
  return chip_data_of(m, *neuromorphic::make_backend(p));
}

}  // namespace chaoschip::experiment
