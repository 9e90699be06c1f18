#include "chaoschip/experiment/graph.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/models/sources.hpp"

namespace chaoschip::experiment {

using io::nir_graph;
using io::nir_node;
using io::nir_type;

namespace {

constexpr std::size_t none = static_cast<std::size_t>(-1);

[[noreturn]] void refuse(const std::string& what) {
  throw input_error("NIR graph: " + what);
}

// The registry model that runs a neuron node; nullopt for nodes that are not neurons.
std::optional<models::model_kind> model_of(nir_type type) {
  using models::model_kind;
  switch (type) {
    case nir_type::lif:
      return model_kind::nir_lif;
    case nir_type::cuba_lif:
      return model_kind::cuba_lif;
    case nir_type::li:
      return model_kind::li;
    case nir_type::cuba_li:
      return model_kind::cuba_li;
    case nir_type::if_:
      return model_kind::if_neuron;
    case nir_type::i:
      return model_kind::integrator;
    default:
      return std::nullopt;
  }
}

// NIR's parameters as the registry model's (the same names): one value when all neurons
// share it (the models' homogeneous fast path, the same arithmetic), else one per neuron.
models::parameter_values values_of(const nir_node& node, models::model_kind kind,
                                   const io::nir_config& options) {
  models::parameter_values v;
  for (const auto& p : io::nir_parameters(node.type)) {
    const Eigen::MatrixXd& m = node.params.at(std::string(p.name));
    Eigen::ArrayXd a = m.reshaped().array();
    if (a.size() > 1 && (a == a[0]).all()) a = Eigen::ArrayXd::Constant(1, a[0]);
    v.set(std::string(p.name), std::move(a));
  }
  for (const auto& choice : models::describe(kind).choices) {
    if (choice.name == "reset") v.set("reset", options.reset);
    if (choice.name == "integrator") v.set("integrator", options.integrator);
  }
  return v;
}

struct lowering {
  const nir_graph& g;
  const io::nir_config& options;
  graph_plan& plan;
  std::map<std::string, std::size_t, std::less<>> index;  // node name -> node index
  std::vector<std::vector<std::size_t>> out;              // node -> outgoing edge indices
  std::vector<bool> recurrent;                            // per edge: closes a cycle
  std::vector<std::size_t> population;                    // node -> population (none)
  std::vector<bool> on_path;

  std::uint32_t delay_steps(const nir_node& node) const;
  void transform(const nir_node& node, Eigen::MatrixXd& m) const;
  // Follows the edges out of `node` (reached with map m from the source and `delay`).
  template <class Emit>
  void walk(std::size_t node, const Eigen::MatrixXd& m, std::uint32_t delay, const Emit& emit);
  template <class Emit>
  void follow(std::size_t node, const Eigen::MatrixXd& m, std::uint32_t delay, const Emit& emit) {
    for (const std::size_t e : out[node])
      walk(index.at(g.edges[e].target), m, delay + (recurrent[e] ? 1u : 0u), emit);
  }
};

std::uint32_t lowering::delay_steps(const nir_node& node) const {
  const Eigen::MatrixXd& d = node.params.at("delay");
  if (d.size() > 0 && (d.array() != d(0)).any())
    refuse(
        fmt::format("node '{}' (Delay) delays its neurons differently; chaoschip simulates "
                    "one delay per Delay node",
                    node.name));
  const double steps = d.size() > 0 ? d(0) / plan.dt : 0.0;
  const double rounded = std::round(steps);
  if (std::abs(steps - rounded) > 1e-6 * std::max(1.0, rounded) || rounded > 1e6)
    refuse(
        fmt::format("node '{}' (Delay) delays by {} s, not a whole number of steps of "
                    "nir.dt = {} s",
                    node.name, d.size() > 0 ? d(0) : 0.0, plan.dt));
  return static_cast<std::uint32_t>(rounded);
}

void lowering::transform(const nir_node& node, Eigen::MatrixXd& m) const {
  switch (node.type) {
    case nir_type::affine:
    case nir_type::linear:
      m = node.params.at("weight") * m;
      break;
    case nir_type::scale:
      m = node.params.at("scale").reshaped().asDiagonal() * m;
      break;
    default:
      break;
  }
}

template <class Emit>
void lowering::walk(std::size_t node, const Eigen::MatrixXd& m, std::uint32_t delay,
                    const Emit& emit) {
  const nir_node& n = g.nodes[node];
  if (population[node] != none) return emit(population[node], m, delay);
  if (n.type == nir_type::output) return;
  if (n.type == nir_type::threshold)
    refuse(fmt::format("node '{}' (Threshold) is read but not simulated in this version", n.name));
  if (on_path[node])
    refuse(fmt::format("node '{}' is on a cycle of weight nodes that passes no neuron", n.name));
  on_path[node] = true;
  Eigen::MatrixXd next = m;
  transform(n, next);
  const std::uint32_t d = n.type == nir_type::delay ? delay + delay_steps(n) : delay;
  follow(node, next, d, emit);
  on_path[node] = false;
}

// Populations for the Input and the neuron nodes, in node order for now.
void add_populations(lowering& l) {
  const nir_graph& g = l.g;
  graph_plan& plan = l.plan;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const nir_node& node = g.nodes[i];
    const auto kind = model_of(node.type);
    if (node.type == nir_type::output) plan.n_out += io::nir_size(node);
    if (!kind && node.type != nir_type::input) continue;
    if (node.type == nir_type::input &&
        std::ranges::any_of(plan.populations, &graph_population::input))
      refuse(
          fmt::format("node '{}' is a second Input node; chaoschip drives one Input from the "
                      "task",
                      node.name));
    graph_population p;
    p.name = node.name;
    p.n = io::nir_size(node);
    p.input = !kind;
    if (kind) {
      p.model = *kind;
      p.values = values_of(node, *kind, l.options);
    }
    l.population[i] = plan.populations.size();
    plan.populations.push_back(std::move(p));
  }
  if (!std::ranges::any_of(plan.populations, &graph_population::input))
    refuse("no Input node (the task drives the graph through its Input)");
}

// Projections (summed per source, target and delay) and biases.
void add_projections(lowering& l) {
  const nir_graph& g = l.g;
  graph_plan& plan = l.plan;
  std::map<std::tuple<std::size_t, std::size_t, std::uint32_t>, Eigen::MatrixXd> sums;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const std::size_t source = l.population[i];
    if (source == none) continue;
    const auto n = static_cast<Eigen::Index>(plan.populations[source].n);
    l.follow(i, Eigen::MatrixXd::Identity(n, n), 0,
             [&](std::size_t target, const Eigen::MatrixXd& m, std::uint32_t delay) {
               auto [it, fresh] = sums.try_emplace({source, target, delay}, m);
               if (!fresh) it->second += m;
             });
  }
  for (auto& [key, w] : sums)
    plan.projections.push_back(
        {std::get<0>(key), std::get<1>(key), std::move(w), std::get<2>(key)});
  std::map<std::size_t, Eigen::VectorXd> biases;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const nir_node& node = g.nodes[i];
    if (node.type != nir_type::affine) continue;
    const Eigen::MatrixXd& b = node.params.at("bias");
    if ((b.array() == 0.0).all()) continue;  // adding +0 changes nothing
    l.follow(i, b.reshaped(), 0, [&](std::size_t target, const Eigen::MatrixXd& m, std::uint32_t) {
      auto [it, fresh] = biases.try_emplace(target, m.col(0));
      if (!fresh) it->second += m.col(0);
    });
  }
  plan.biases.assign(biases.begin(), biases.end());
}

// Update order: a projection without delay goes from an earlier population to a later one
// (the Input first, then a topological order of the delay-free projections, ties in node
// order). Renumbers populations, projections and biases.
void order_populations(graph_plan& plan) {
  const std::size_t n = plan.populations.size();
  std::vector<std::size_t> indegree(n, 0), order;
  for (const auto& p : plan.projections)
    if (p.delay == 0) ++indegree[p.target];
  std::vector<bool> placed(n, false);
  while (order.size() < n) {
    std::size_t next = none;
    for (std::size_t i = 0; i < n && next == none; ++i)
      if (!placed[i] && indegree[i] == 0 && (plan.populations[i].input || !order.empty())) next = i;
    for (std::size_t i = 0; i < n && next == none; ++i)
      if (!placed[i] && indegree[i] == 0) next = i;
    if (next == none) refuse("a cycle without delay between neuron nodes");
    placed[next] = true;
    order.push_back(next);
    for (const auto& p : plan.projections)
      if (p.delay == 0 && p.source == next) --indegree[p.target];
  }
  std::vector<std::size_t> rank(n);
  std::vector<graph_population> sorted;
  for (std::size_t r = 0; r < n; ++r) {
    rank[order[r]] = r;
    sorted.push_back(std::move(plan.populations[order[r]]));
  }
  plan.populations = std::move(sorted);
  for (auto& p : plan.projections)
    p = {rank[p.source], rank[p.target], std::move(p.weights), p.delay};
  for (auto& [target, b] : plan.biases) target = rank[target];
  for (std::size_t i = 0; i < n; ++i)
    if (plan.populations[i].input) plan.input = i;
}

void find_recurrent(graph_plan& plan, const io::nir_config& options) {
  std::vector<std::size_t> self;
  for (const auto& p : plan.projections)
    if (p.source == p.target && std::ranges::find(self, p.source) == self.end())
      self.push_back(p.source);
  if (options.recurrent.empty()) {
    if (self.size() == 1) plan.recurrent = self[0];
    return;
  }
  std::string names;
  for (std::size_t i = 0; i < plan.populations.size(); ++i) {
    if (plan.populations[i].input) continue;
    if (plan.populations[i].name == options.recurrent) plan.recurrent = i;
    names += (names.empty() ? "\"" : ", \"") + plan.populations[i].name + "\"";
  }
  if (!plan.recurrent)
    throw parameter_error("nir.recurrent", "\"" + options.recurrent + "\"",
                          "the name of a neuron node of the graph: one of " + names);
}

}  // namespace

graph_plan lower_graph(io::nir_graph graph, const io::nir_config& options) {
  graph_plan plan;
  plan.dt = options.dt;  // lower_nir passes nir_step
  plan.graph = std::move(graph);
  const nir_graph& g = plan.graph;
  lowering l{g, options, plan, {}, {}, io::nir_recurrent_edges(g), {}, {}};
  for (std::size_t i = 0; i < g.nodes.size(); ++i) l.index.emplace(g.nodes[i].name, i);
  l.out.resize(g.nodes.size());
  for (std::size_t e = 0; e < g.edges.size(); ++e)
    l.out[l.index.at(g.edges[e].source)].push_back(e);
  l.population.assign(g.nodes.size(), none);
  l.on_path.assign(g.nodes.size(), false);
  add_populations(l);
  add_projections(l);
  order_populations(plan);
  find_recurrent(plan, options);
  return plan;
}

graph_network build_graph(const graph_plan& plan) {
  graph_network b;
  std::optional<population_id> bias;
  if (!plan.biases.empty()) {
    // Not a NIR node: a name no node has.
    std::string name = "bias";
    while (std::ranges::any_of(plan.populations, [&](const auto& p) { return p.name == name; }))
      name += "_";
    bias = b.net.add(name, std::make_unique<models::constant_source>(1));
  }
  for (const auto& p : plan.populations) {
    auto pop = p.input ? std::unique_ptr<population>(std::make_unique<models::spike_pattern_source>(
                             p.n, models::spike_pattern_source::pattern{}))
                       : models::make_population(p.model, p.values, plan.dt, p.n);
    b.ids.push_back(b.net.add(p.name, std::move(pop)));
  }
  b.input = b.ids.at(plan.input);
  for (const auto& [target, value] : plan.biases)
    b.net.connect(*bias, b.ids[target], std::make_unique<dense_projection>(Eigen::MatrixXd(value)),
                  0);
  for (const auto& p : plan.projections)
    b.net.connect(b.ids[p.source], b.ids[p.target], std::make_unique<dense_projection>(p.weights),
                  p.delay);
  return b;
}

}  // namespace chaoschip::experiment
