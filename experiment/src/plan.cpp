#include "chaoschip/experiment/plan.hpp"

#include <algorithm>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/model_binding.hpp"
#include "chaoschip/experiment/trainable_graph.hpp"
#include "chaoschip/io/chip.hpp"
#include "chaoschip/io/nir.hpp"

#include <fmt/format.h>

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace

void check_supported(const run_config& c, const neuromorphic::backend& backend) {
  if (c.train.rule != "none") {
    if (model_of(c) == models::model_kind::rate_ode && c.train.rule == "bptt")
      throw parameter_error("train.rule", quoted(c.train.rule),
                            "\"eprop\" for network.model = \"rate_ode\" (BPTT through the ODE "
                            "integrator is not implemented; network.model = \"rate\" is the "
                            "Euler-discretised network BPTT can train)");
    if (!backend.learns())
      throw parameter_error("chip.kernel", quoted(c.chip.kernel),
                            "\"float64\", \"fixed\" or \"loihi\" for training (Xylo has no "
                            "on-chip learning: train on float64 with chip.weight_bits = 8, its "
                            "weight precision, then map the weights to xylo)");
    if (c.chip.trace_bits > 0 && !backend.impulse_traces() &&
        (c.chip.trace_frac_bits < 1 || c.chip.trace_frac_bits > c.chip.trace_bits))
      throw parameter_error(
          "chip.trace_frac_bits", std::to_string(c.chip.trace_frac_bits),
          "an integer in [1, chip.trace_bits = " + std::to_string(c.chip.trace_bits) +
              "] for fixed-point traces (value = code 2^-trace_frac_bits)");
    if (c.chip.trace_bits > 0 && c.train.rule == "eprop" && !capabilities_of(c).spiking)
      throw parameter_error("chip.trace_bits", std::to_string(c.chip.trace_bits),
                            "0 for a rate network (the integer traces count spikes; "
                            "network.model = \"lif\" or \"alif\")");
    if (!backend.float_models() && model_of(c) != models::model_kind::lif)
      throw parameter_error("network.model", quoted(c.network.model),
                            "\"lif\" for training on the " + quoted(c.chip.kernel) + " kernel");
    if (c.network.connectivity != "dense")
      throw parameter_error("network.connectivity", quoted(c.network.connectivity),
                            "\"dense\" for training in this version");
  }
  if (c.floss.enabled) {
    if (!backend.learns())
      throw parameter_error("chip.kernel", quoted(c.chip.kernel),
                            "\"float64\", \"fixed\" or \"loihi\" for flossing (Xylo has no "
                            "on-chip learning)");
    if (c.floss.variant == "bptt" && !capabilities_of(c).floss_exact)
      throw parameter_error("floss.variant", "\"bptt\"",
                            "\"local\" for network.model = " + quoted(c.network.model) +
                                " (the exact flossing gradient is implemented for rate networks)");
    if (c.network.connectivity != "dense")
      throw parameter_error("network.connectivity", quoted(c.network.connectivity),
                            "\"dense\" for flossing in this version");
  }
}

void check_supported(const run_config& c) {
  check_supported(c, *neuromorphic::make_backend(resolve_profile(c.chip)));
}

chip_plan chip_plan_of(const run_config& c) {
  chip_plan p;
  p.profile = resolve_profile(c.chip);
  p.backend = neuromorphic::make_backend(p.profile);
  p.neuron = float_lif_of(c);
  p.gamma = c.neuron.gamma;
  p.seed = static_cast<std::uint64_t>(c.seed);
  return p;
}

network_plan network_plan_of(const run_config& c, const weight_set& w) {
  network_plan n;
  n.n_in = static_cast<std::size_t>(c.network.n_in);
  n.n_rec = static_cast<std::size_t>(c.network.n_rec);
  n.n_out = static_cast<std::size_t>(c.network.n_out);
  n.dt = c.network.dt;
  n.model = c.network.model;
  n.recurrent_model = model_of(c);
  n.recurrent_values = neuron_values(c.neuron, n.recurrent_model);
  n.recurrent_dt = c.network.dt;
  n.sparse = c.network.connectivity == "sparse";
  n.autapses = c.network.autapses;
  n.readout_tau = c.readout.tau;
  n.in_rec = {w.w_in, 0};
  n.rec_rec = {w.w_rec, static_cast<std::uint32_t>(c.network.delay_rec)};
  n.rec_out = {w.w_out, 0};
  n.feedback = w.feedback;
  return n;
}

namespace {

// [train]'s optimizer settings with the learning rate `eta`.
optimizer_settings optimizer_of(const run_config& c, double eta) {
  return {.kind = parse_name(optimizer_names, c.train.optimizer, "train.optimizer"),
          .eta = eta,
          .momentum = c.train.momentum,
          .beta1 = c.train.adam_beta1,
          .beta2 = c.train.adam_beta2,
          .epsilon = c.train.adam_epsilon,
          .w_min = c.train.w_min,
          .w_max = c.train.w_max};
}

learning_plan learning_plan_of(const run_config& c) {
  learning_plan l;
  l.rule = c.train.rule == "eprop"  ? rule_kind::eprop
           : c.train.rule == "bptt" ? rule_kind::bptt
                                    : rule_kind::none;
  l.nest_variant = c.train.variant == "nest_bsshslm_2020";
  l.symmetric_feedback = c.train.feedback == "symmetric";
  l.iterations = std::max<std::int64_t>(c.train.iterations, 1);
  l.batch = l.training() ? c.train.batch : 1;
  l.has_target = c.task.name != "none";
  l.train_optimizer = optimizer_of(c, c.train.eta);
  // Flossing has its own optimizer state and learning rate (floss.eta).
  l.floss_optimizer = optimizer_of(c, c.floss.eta > 0.0 ? c.floss.eta : c.train.eta);
  l.floss = {c.floss.enabled, c.floss.pre_epochs, c.floss.every, c.floss.epochs};
  l.lyapunov_when = c.lyapunov.when;
  return l;
}

}  // namespace

namespace {

// "input (Input, 12) -> lif1 (CubaLIF, 38, recurrent) -> ...": what a message says a graph is.
std::string shape_of(const graph_plan& g) {
  std::string out;
  for (std::size_t i = 0; i < g.populations.size(); ++i) {
    const auto& p = g.populations[i];
    std::string_view type = "Input";
    for (const auto& node : g.graph.nodes)
      if (node.name == p.name) type = io::to_string(node.type);
    out += fmt::format("{}{} ({}, {}{})", out.empty() ? "" : " -> ", p.name, type, p.n,
                       g.recurrent == i ? ", recurrent" : "");
  }
  return out;
}

io::nir_config nir_options(const run_config& c) {
  io::nir_config o = c.nir;
  o.dt = nir_step(c);
  return o;
}

// Refusals of the trainable path with a NIR LIF layer (nir_lif): chaoschip's chip kernels
// and flossing are for its own models; BPTT stops the gradient at the reset.
void check_nir_lif(const run_config& c, const plan& p) {
  const auto& backend = *p.chip.backend;
  if (backend.quantises() || !backend.float_models() || backend.traces().bits > 0)
    throw parameter_error("chip.profile", quoted(c.chip.profile),
                          "\"float64\" for a graph whose LIF layer runs as NIR's LIF (the chip "
                          "kernels run chaoschip's lif: a graph chaoschip exported, with its "
                          "metadata, runs on them)");
  if (c.floss.enabled)
    throw parameter_error("floss.enabled", "true",
                          "false for a graph whose LIF layer runs as NIR's LIF");
  if (p.learning.rule == rule_kind::bptt && c.train.reset_gradient)
    throw parameter_error("train.reset_gradient", "true",
                          "false for NIR's LIF (BPTT stops the gradient at its reset)");
  const auto& n = p.network;
  if (p.learning.training())  // homogeneous parameters: parameter_error naming the one
    (void)models::learning_constants_of(n.recurrent_model, n.recurrent_values, n.recurrent_dt,
                                        n.n_rec);
}

// A graph in the trainable shape: the config path's network from the graph's nodes, run
// by the trainer (with its loss, also under train.rule = "none").
plan lower_trainable(const run_config& c, std::shared_ptr<graph_plan> graph,
                     const trainable_shape& shape) {
  plan p;
  const run_config e = trainable_config(c, shape);
  p.chip = chip_plan_of(e);
  p.config = e;
  p.config_toml = to_toml(e);
  p.network = trainable_network(e, shape, *graph);
  p.learning = learning_plan_of(e);
  if (has_chaoschip_model(shape))
    check_supported(e, *p.chip.backend);
  else
    check_nir_lif(e, p);
  p.task = make_task(e, p.learning.training());
  if (!p.learning.training() && p.learning.has_target && p.task->steps() > 0)
    p.learning.has_target = p.task->get(0).target.size() > 0;  // a case file without targets
  // The names first: `shape` points into the graph that is moved.
  imported_graph imported{
      {}, shape.w_in->name, shape.w_rec->name, shape.w_out->name, has_chaoschip_model(shape)};
  imported.graph = std::move(*graph);
  p.imported = std::make_shared<imported_graph>(std::move(imported));
  return p;
}

// A NIR graph: in the trainable shape, lowered to the config path's network; else lowered
// into populations and projections (graph.hpp) and simulated by run_graph, the task as
// wide as its Input.
plan lower_nir(const run_config& c) {
  auto graph = std::make_shared<graph_plan>(lower_graph(read_nir(c.network.file), nir_options(c)));
  const auto shape = match_trainable(graph->graph);
  plan p;
  // Any profile: the graph's populations are built on its kernel (build_graph's chip form),
  // which refuses what the kernel cannot run.
  p.chip = chip_plan_of(c);
  // The trainable shape runs through the trainer, except a foreign graph only simulated on
  // a chip kernel: that is the graph path's (NIR's LIF on the kernel).
  const bool on_chip = p.chip.backend->quantises() || !p.chip.backend->float_models();
  if (const auto* s = std::get_if<trainable_shape>(&shape))
    if (c.train.rule != "none" || has_chaoschip_model(*s) || !on_chip)
      return lower_trainable(c, std::move(graph), *s);
  if (c.train.rule != "none")
    throw parameter_error("train.rule", quoted(c.train.rule),
                          "\"none\" for this graph: e-prop and BPTT train Input -> Affine/Linear "
                          "-> a recurrent spiking layer -> Affine/Linear -> LI/CubaLI readout; "
                          "the graph is " +
                              shape_of(*graph) + " (" + std::get<std::string>(shape) + ")");
  if (c.floss.enabled)
    throw parameter_error("floss.enabled", "true",
                          "false for a NIR graph outside the trainable shape");
  run_config sized = c;
  sized.network.n_in = static_cast<std::int64_t>(graph->populations[graph->input].n);
  sized.network.n_out = std::max<std::int64_t>(static_cast<std::int64_t>(graph->n_out), 1);
  p.config = c;
  p.config_toml = to_toml(c);
  p.task = make_task(sized, false);
  p.learning = learning_plan_of(c);
  p.learning.has_target = false;  // a graph has no readout to take a loss of
  p.graph = std::move(graph);
  return p;
}

}  // namespace

plan lower(const run_config& c) {
  if (c.network.source == "nir") return lower_nir(c);
  plan p;
  p.chip = chip_plan_of(c);
  check_supported(c, *p.chip.backend);
  p.config = c;
  p.config_toml = to_toml(c);
  p.network = network_plan_of(c, make_initial_weights(c));
  p.task = make_task(c);
  p.learning = learning_plan_of(c);
  return p;
}

}  // namespace chaoschip::experiment
