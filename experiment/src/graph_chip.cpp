// NIR graphs on a chip profile (docs/nir.md, "Graphs on a chip"): each neuron population
// and the projections into it built by the kernel's backend (make_graph_layer).
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/experiment/graph.hpp"
#include "chaoschip/models/sources.hpp"

namespace chaoschip::experiment {

namespace {

// A parameter of the population, one value per neuron.
Eigen::ArrayXd per_neuron(const graph_population& p, const std::string& name) {
  const Eigen::ArrayXd& a = p.values.numbers.at(name);
  return a.size() == 1 ? Eigen::ArrayXd::Constant(static_cast<Eigen::Index>(p.n), a[0]) : a;
}

// The decay over one step of dt for time constants tau: exp(-dt/tau) (exact) or
// 1 - dt/tau (euler), as the float models' propagators.
Eigen::ArrayXd decay(const Eigen::ArrayXd& tau, double dt, bool euler) {
  if (!euler) return (-dt / tau).exp();
  const Eigen::ArrayXd a = 1.0 - dt / tau;
  if ((a < 0.0).any())
    throw parameter_error("nir.integrator", "\"euler\"",
                          "\"exact\" for a graph with a time constant below nir.dt on a chip "
                          "(an Euler decay below 0)");
  return a;
}

std::string nir_type_of(const graph_plan& plan, const std::string& name) {
  for (const auto& node : plan.graph.nodes)
    if (node.name == name) return std::string(io::to_string(node.type));
  return name;
}

}  // namespace

neuromorphic::graph_neurons graph_neurons_of(const graph_population& p, double dt) {
  using models::model_kind;
  neuromorphic::graph_neurons g;
  g.name = p.name;
  g.type = std::string(models::to_string(p.model));
  if (p.model != model_kind::nir_lif && p.model != model_kind::cuba_lif) return g;
  g.lif = true;
  g.synapse = p.model == model_kind::cuba_lif;
  const auto choice = [&](const char* key) {
    const auto it = p.values.choices.find(key);
    return it == p.values.choices.end() ? std::string() : it->second;
  };
  const bool euler = choice("integrator") == "euler";
  g.subtract = choice("reset") == "subtract";
  g.decay_mem = decay(per_neuron(p, g.synapse ? "tau_mem" : "tau"), dt, euler);
  const Eigen::ArrayXd into_v = (1.0 - g.decay_mem) * per_neuron(p, "r");
  if (g.synapse) {
    g.decay_syn = decay(per_neuron(p, "tau_syn"), dt, euler);
    g.gain = (1.0 - g.decay_syn) * per_neuron(p, "w_in") * into_v;
  } else {
    g.decay_syn = Eigen::ArrayXd::Zero(static_cast<Eigen::Index>(p.n));
    g.gain = into_v;
  }
  g.leak = (1.0 - g.decay_mem) * per_neuron(p, "v_leak");
  g.v_th = per_neuron(p, "v_threshold");
  g.v_reset = per_neuron(p, "v_reset");
  return g;
}

graph_network build_graph(const graph_plan& plan, const neuromorphic::backend& chip,
                          std::uint64_t seed) {
  graph_network b;
  neuromorphic::stochastic_source source(seed, "chip.weights");
  const std::size_t n_pop = plan.populations.size();
  std::vector<neuromorphic::graph_layer> layers(n_pop);
  // Per target population: its projections (plan indices) then its bias, in that order.
  std::vector<std::vector<std::size_t>> into(n_pop);
  for (std::size_t k = 0; k < plan.projections.size(); ++k)
    into[plan.projections[k].target].push_back(k);
  std::map<std::size_t, std::size_t> bias_of;  // population -> index into plan.biases
  for (std::size_t k = 0; k < plan.biases.size(); ++k) bias_of[plan.biases[k].first] = k;
  b.dequantised.resize(plan.projections.size());
  b.dequantised_biases.resize(plan.biases.size());
  b.mappings.resize(n_pop);
  b.integer_state.assign(n_pop, false);
  for (std::size_t i = 0; i < n_pop; ++i) {
    const auto& p = plan.populations[i];
    if (p.input) continue;
    std::vector<Eigen::MatrixXd> w;
    for (const std::size_t k : into[i]) w.push_back(plan.projections[k].weights);
    if (bias_of.contains(i)) w.emplace_back(plan.biases[bias_of[i]].second);
    // The float64 kernel runs the float models: only the weights change.
    neuromorphic::graph_neurons g;
    if (!chip.float_models()) g = graph_neurons_of(p, plan.dt);
    g.name = p.name;
    g.type = nir_type_of(plan, p.name);
    layers[i] = chip.make_graph_layer(g, w, &source);
    const auto& cws = layers[i].mapping.weights;
    for (std::size_t j = 0; j < into[i].size(); ++j)
      b.dequantised[into[i][j]] = neuromorphic::dequantize(cws[j]);
    if (bias_of.contains(i))
      b.dequantised_biases[bias_of[i]] = neuromorphic::dequantize(cws.back()).col(0);
    b.integer_state[i] = layers[i].integer_state;
    b.mappings[i] = layers[i].mapping;
  }
  std::optional<population_id> bias;
  if (!plan.biases.empty()) {
    std::string name = "bias";  // as build_graph: a name no node has
    while (std::ranges::any_of(plan.populations, [&](const auto& p) { return p.name == name; }))
      name += "_";
    bias = b.net.add(name, std::make_unique<models::constant_source>(1));
  }
  for (std::size_t i = 0; i < n_pop; ++i) {
    const auto& p = plan.populations[i];
    std::unique_ptr<population> pop;
    if (p.input)
      pop = std::make_unique<models::spike_pattern_source>(p.n,
                                                           models::spike_pattern_source::pattern{});
    else if (layers[i].neurons)
      pop = std::move(layers[i].neurons);
    else
      pop = models::make_population(p.model, p.values, plan.dt, p.n);
    b.ids.push_back(b.net.add(p.name, std::move(pop)));
  }
  b.input = b.ids.at(plan.input);
  // The bias is an always-on source: its constant arrives from step 0 (no kernel delay).
  for (const auto& [target, k] : bias_of)
    b.net.connect(*bias, b.ids[target], std::move(layers[target].inputs.at(into[target].size())),
                  0);
  for (std::size_t i = 0; i < n_pop; ++i)
    for (std::size_t j = 0; j < into[i].size(); ++j) {
      const auto& pr = plan.projections[into[i][j]];
      b.net.connect(b.ids[pr.source], b.ids[i], std::move(layers[i].inputs[j]),
                    std::max(pr.delay, layers[i].min_delay));
    }
  return b;
}

graph_plan dequantised_plan(const graph_plan& plan, const graph_network& built) {
  graph_plan out = plan;
  for (std::size_t k = 0; k < out.projections.size() && k < built.dequantised.size(); ++k)
    out.projections[k].weights = built.dequantised[k];
  for (std::size_t k = 0; k < out.biases.size() && k < built.dequantised_biases.size(); ++k)
    out.biases[k].second = built.dequantised_biases[k];
  return out;
}

}  // namespace chaoschip::experiment
