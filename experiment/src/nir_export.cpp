#include "chaoschip/experiment/nir_export.hpp"

#include <cmath>
#include <filesystem>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/experiment/graph.hpp"
#include "chaoschip/experiment/model_binding.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/io/paths.hpp"

namespace chaoschip::experiment {

std::string_view to_string(export_weights which) {
  return which == export_weights::initial ? "initial" : "final";
}

namespace {

using io::nir_node;
using io::nir_type;

// Doubles as the shortest-but-exact 17 significant digits: the metadata round-trips bit
// for bit through text.
std::string exact(double d) {
  return fmt::format("{:.17g}", d);
}

// Every key of one section of the resolved config as metadata text (doubles exact,
// booleans true/false, strings bare), under `prefix`.
void section_metadata(const io::run_config& config, const std::string& section,
                      const std::string& prefix, std::map<std::string, std::string>& out) {
  const toml::table all = toml::parse(io::to_toml(config));
  const toml::table* table = all[section].as_table();
  if (!table) return;
  for (const auto& [key, node] : *table) {
    std::string text;
    if (const auto* d = node.as_floating_point())
      text = exact(d->get());
    else if (const auto* i = node.as_integer())
      text = std::to_string(i->get());
    else if (const auto* b = node.as_boolean())
      text = b->get() ? "true" : "false";
    else if (const auto* s = node.as_string())
      text = s->get();
    else
      continue;  // no arrays in [neuron] or [chip]
    out[prefix + std::string(key.str())] = text;
  }
}

Eigen::MatrixXd constant(Eigen::Index n, double value) {
  return Eigen::MatrixXd::Constant(n, 1, value);
}

nir_node linear(const std::string& name, const Eigen::MatrixXd& weight) {
  nir_node node{name, nir_type::linear, {{"weight", weight}}, {}, {}};
  return node;
}

nir_node boundary(const std::string& name, nir_type type, Eigen::Index n) {
  return {name, type, {}, {static_cast<std::int64_t>(n)}, {}};
}

// chaoschip's lif as NIR's LIF (times in s): exact zero-order hold of tau v' = -v + r I
// gives v <- a v + (1 - a) r I, a = exp(-dt/tau_m), and chaoschip's input gain c_in is
// (1 - a) r.
nir_node recurrent_node(const io::run_config& c) {
  const auto n = static_cast<Eigen::Index>(c.network.n_rec);
  const double a = std::exp(-c.network.dt / c.neuron.tau_m);
  const double c_in = c.neuron.regular_spike_arrival ? 1.0 : 1.0 - a;
  nir_node node{"recurrent", nir_type::lif, {}, {}, {}};
  node.params = {{"tau", constant(n, c.neuron.tau_m / 1000.0)},
                 {"r", constant(n, c_in / (1.0 - a))},
                 {"v_leak", constant(n, 0.0)},
                 {"v_threshold", constant(n, c.neuron.v_th)},
                 {"v_reset", constant(n, c.neuron.v_reset)}};
  node.metadata["chaoschip.model"] = c.network.model;
  node.metadata["chaoschip.network.delay_rec"] = std::to_string(c.network.delay_rec);
  section_metadata(c, "neuron", "chaoschip.neuron.", node.metadata);
  return node;
}

// chaoschip's readout y <- k y + (1 - k) W z, k = exp(-dt/tau), is NIR's LI with r = 1.
nir_node readout_node(const io::run_config& c) {
  const auto n = static_cast<Eigen::Index>(c.network.n_out);
  nir_node node{"readout", nir_type::li, {}, {}, {}};
  node.params = {{"tau", constant(n, c.readout.tau / 1000.0)},
                 {"r", constant(n, 1.0)},
                 {"v_leak", constant(n, 0.0)}};
  node.metadata["chaoschip.readout.tau"] = exact(c.readout.tau);
  return node;
}

// Graph metadata: where the graph comes from and, on a chip, the resolved profile (the
// weights are then its dequantised codes).
void graph_metadata(const io::run_config& c, const export_origin& origin,
                    std::map<std::string, std::string>& out) {
  out["chaoschip.version"] = origin.version;
  out["chaoschip.source"] = origin.source;
  out["chaoschip.weights"] = std::string(to_string(origin.weights));
  // A re-exported graph's earlier chip says nothing about this run's.
  std::erase_if(out, [](const auto& kv) { return kv.first.starts_with("chaoschip.chip."); });
  const chip_plan chip = chip_plan_of(c);
  if (chip.backend->quantises() || !chip.backend->float_models())
    section_metadata(c, "chip", "chaoschip.chip.", out);
}

void check_spiking(const io::run_config& c) {
  if (!capabilities_of(c).spiking)
    throw parameter_error("network.model", "\"" + c.network.model + "\"",
                          "a spiking model (\"lif\" or \"alif\") for export-nir: NIR has no "
                          "rate neuron with chaoschip's activation");
}

std::string group_of(const export_origin& origin) {
  return "/network/" + std::string(to_string(origin.weights));
}

io::weight_set weights_of(const std::string& file, const io::run_config& c,
                          const export_origin& origin) {
  auto w = io::read_weights(file, std::string(to_string(origin.weights)), c);
  if (!w)
    throw file_error(file, fmt::format("group '{}' is missing (the weights --weights {} exports)",
                                       group_of(origin), to_string(origin.weights)));
  return std::move(*w);
}

// Trained weights into the weight nodes the run names (trained_node_attributes).
void substitute(io::nir_graph& graph, const std::string& file,
                const std::array<std::optional<std::string>, 3>& names, const io::weight_set& w) {
  const std::array<const Eigen::MatrixXd*, 3> matrices = {&w.w_in, &w.w_rec, &w.w_out};
  for (std::size_t k = 0; k < trained_node_attributes.size(); ++k) {
    const std::string_view key = trained_node_attributes[k];
    const auto& name = names[k];
    if (!name) throw file_error(file, fmt::format("root attribute '{}' is missing", key));
    nir_node* node = nullptr;
    for (auto& n : graph.nodes)
      if (n.name == *name) node = &n;
    if (!node || !node->params.contains("weight"))
      throw file_error(file, fmt::format("root attribute '{}' names '{}', not a weight node of "
                                         "the graph under /nir",
                                         key, *name));
    Eigen::MatrixXd& weight = node->params.at("weight");
    const Eigen::MatrixXd& trained = *matrices[k];
    if (weight.rows() != trained.rows() || weight.cols() != trained.cols())
      throw file_error(
          file, fmt::format("node '{}' has weight [{}, {}], the run's weights [{}, {}]", *name,
                            weight.rows(), weight.cols(), trained.rows(), trained.cols()));
    weight = trained;
  }
}

// A graph run on a chip profile: each Affine/Linear node that alone makes one projection
// into a population gets the float weights (and bias) the chip's codes stand for, mapped
// as the run mapped them (build_graph on the profile's backend, the run's seed); the
// neuron nodes the chip ran name the profile in their metadata.
void dequantise(io::nir_graph& graph, const io::run_config& c) {
  const chip_plan chip = chip_plan_of(c);
  if (!chip.backend->quantises() && chip.backend->float_models()) return;
  io::nir_config options = c.nir;
  options.dt = io::nir_step(c);
  const graph_plan plan = lower_graph(graph, options);
  const graph_network built = build_graph(plan, *chip.backend, chip.seed);
  auto population = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < plan.populations.size(); ++i)
      if (plan.populations[i].name == name) return i;
    return std::nullopt;
  };
  for (auto& node : graph.nodes) {
    if (const auto p = population(node.name); p && !plan.populations[*p].input) {
      node.metadata["chaoschip.chip.profile"] = c.chip.profile;
      continue;
    }
    if (node.type != nir_type::affine && node.type != nir_type::linear) continue;
    std::vector<std::string> in, out;
    for (const auto& e : graph.edges) {
      if (e.target == node.name) in.push_back(e.source);
      if (e.source == node.name) out.push_back(e.target);
    }
    if (in.size() != 1 || out.size() != 1) continue;
    const auto s = population(in[0]), t = population(out[0]);
    if (!s || !t) continue;
    std::vector<std::size_t> found;
    for (std::size_t k = 0; k < plan.projections.size(); ++k)
      if (plan.projections[k].source == *s && plan.projections[k].target == *t) found.push_back(k);
    if (found.size() != 1 || found[0] >= built.dequantised.size()) continue;
    const std::size_t k = found[0];
    // Only when the projection is this node's weight alone (no parallel path adds to it).
    if (plan.projections[k].weights != node.params.at("weight")) continue;
    node.params["weight"] = built.dequantised[k];
    if (node.type != nir_type::affine) continue;
    for (std::size_t j = 0; j < plan.biases.size() && j < built.dequantised_biases.size(); ++j)
      if (plan.biases[j].first == *t &&
          plan.biases[j].second == Eigen::VectorXd(node.params.at("bias").reshaped()))
        node.params["bias"] = built.dequantised_biases[j];
  }
}

// The graph a NIR run simulated: as it is when untrained; with the run's weights in the
// nodes it names when trained.
io::nir_graph export_simulated(io::nir_graph graph, const std::string& file,
                               const io::run_config& c, const export_origin& origin) {
  std::array<std::optional<std::string>, 3> names;
  bool trained = false;
  for (std::size_t k = 0; k < names.size(); ++k) {
    names[k] = io::read_root_attribute(file, std::string(trained_node_attributes[k]));
    trained |= names[k].has_value();
  }
  if (trained)
    substitute(graph, file, names, weights_of(file, c, origin));
  else
    dequantise(graph, c);
  graph.notes.clear();
  graph_metadata(c, origin, graph.metadata);
  return graph;
}

}  // namespace

io::nir_graph export_graph(const io::run_config& c, const io::weight_set& weights,
                           const export_origin& origin) {
  check_spiking(c);
  const bool readout = c.readout.tau > 0.0;
  io::nir_graph g;
  g.version = std::string(io::nir_write_version);
  g.nodes.push_back(boundary("input", nir_type::input, c.network.n_in));
  g.nodes.push_back(linear("w_in", weights.w_in));
  g.nodes.push_back(recurrent_node(c));
  const chip_plan chip = chip_plan_of(c);
  if (chip.backend->quantises() || !chip.backend->float_models())
    g.nodes.back().metadata["chaoschip.chip.profile"] = c.chip.profile;  // the chip's layer
  g.nodes.push_back(linear("w_rec", weights.w_rec));
  g.nodes.push_back(linear("w_out", weights.w_out));
  if (readout) g.nodes.push_back(readout_node(c));
  g.nodes.push_back(boundary("output", nir_type::output, c.network.n_out));
  g.edges = {{"input", "w_in"},
             {"w_in", "recurrent"},
             {"recurrent", "w_rec"},
             {"w_rec", "recurrent"},
             {"recurrent", "w_out"}};
  if (readout)
    g.edges.insert(g.edges.end(), {{"w_out", "readout"}, {"readout", "output"}});
  else
    g.edges.push_back({"w_out", "output"});
  g.metadata["chaoschip.dt_ms"] = exact(c.network.dt);
  graph_metadata(c, origin, g.metadata);
  io::validate_nir(g);
  return g;
}

io::nir_graph export_run(const std::string& run_file, const export_origin& origin) {
  io::check_input_file(run_file);
  const io::run_config c =
      io::parse_config(io::read_config_attribute(run_file), run_file + " (config attribute)");
  if (auto graph = io::read_run_graph(run_file))
    return export_simulated(std::move(*graph), run_file, c, origin);
  return export_graph(c, weights_of(run_file, c, origin), origin);
}

}  // namespace chaoschip::experiment
