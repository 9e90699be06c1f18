#include "chaoschip/experiment/trainable_graph.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/experiment/factory.hpp"

namespace chaoschip::experiment {

using io::nir_graph;
using io::nir_node;
using io::nir_type;

namespace {

constexpr std::string_view model_key = "chaoschip.model";
constexpr std::string_view neuron_prefix = "chaoschip.neuron.";
constexpr std::string_view delay_key = "chaoschip.network.delay_rec";
constexpr std::string_view readout_tau_key = "chaoschip.readout.tau";

std::string named(const nir_node& n) {
  return fmt::format("'{}' ({})", n.name, io::to_string(n.type));
}

bool is_weight(const nir_node* n) {
  return n && (n->type == nir_type::affine || n->type == nir_type::linear);
}

// What each node of the graph is, by type; the first node that has no place in the shape.
std::string sort_nodes(const nir_graph& g, trainable_shape& s) {
  std::size_t weights = 0;
  for (const nir_node& n : g.nodes) {
    const nir_node** slot = nullptr;
    switch (n.type) {
      case nir_type::input:
        slot = &s.input;
        break;
      case nir_type::output:
        slot = &s.output;
        break;
      case nir_type::lif:
        slot = &s.recurrent;
        break;
      case nir_type::li:
        slot = &s.readout;
        break;
      case nir_type::affine:
      case nir_type::linear:
        ++weights;
        continue;
      case nir_type::cuba_lif:
      case nir_type::if_:
        return fmt::format("{} recurrent layer '{}': no e-prop for it in this version (LIF only)",
                           io::to_string(n.type), n.name);
      case nir_type::cuba_li:
        return fmt::format("CubaLI readout '{}': an LI readout only in this version", n.name);
      default:
        return fmt::format("node {} has no place in it", named(n));
    }
    if (*slot)
      return fmt::format("nodes '{}' and '{}' both {}", (*slot)->name, n.name,
                         io::to_string(n.type));
    *slot = &n;
  }
  if (!s.input || !s.output || !s.recurrent)
    return "it needs one Input, one LIF layer and one Output";
  if (weights != 3) return fmt::format("it has {} Affine/Linear nodes, not 3", weights);
  return {};
}

// The edges: Input -> w_in -> R, R -> w_rec -> R, R -> w_out -> (LI -> ) Output.
std::string match_edges(const nir_graph& g, trainable_shape& s) {
  std::map<std::string, const nir_node*, std::less<>> by_name;
  for (const nir_node& n : g.nodes) by_name.emplace(n.name, &n);
  std::map<const nir_node*, std::vector<const nir_node*>> out, in;
  for (const auto& e : g.edges) {
    out[by_name.at(e.source)].push_back(by_name.at(e.target));
    in[by_name.at(e.target)].push_back(by_name.at(e.source));
  }
  auto only = [&](auto& m, const nir_node* n) -> const nir_node* {
    return m[n].size() == 1 ? m[n][0] : nullptr;
  };
  s.w_in = only(out, s.input);
  if (!is_weight(s.w_in) || only(out, s.w_in) != s.recurrent || only(in, s.w_in) != s.input)
    return "the Input does not reach the LIF layer through one Affine/Linear node";
  if (out[s.recurrent].size() != 2 || in[s.recurrent].size() != 2)
    return fmt::format("the LIF layer '{}' does not feed exactly its recurrence and the readout",
                       s.recurrent->name);
  for (const nir_node* n : out[s.recurrent]) {
    if (!is_weight(n) || only(in, n) != s.recurrent)
      return fmt::format("the LIF layer feeds {} ", named(*n));
    (only(out, n) == s.recurrent ? s.w_rec : s.w_out) = n;
  }
  const auto& into = in[s.recurrent];
  if (!s.w_rec || !s.w_out || std::ranges::find(into, s.w_rec) == into.end() ||
      std::ranges::find(into, s.w_in) == into.end())
    return "the LIF layer has no recurrence through one Affine/Linear node";
  const nir_node* after_out = s.readout ? s.readout : s.output;
  if (only(out, s.w_out) != after_out)
    return fmt::format("'{}' does not feed the {}", s.w_out->name, s.readout ? "LI" : "Output");
  if (s.readout && (only(in, s.readout) != s.w_out || only(out, s.readout) != s.output))
    return fmt::format("the LI readout '{}' is not between '{}' and the Output", s.readout->name,
                       s.w_out->name);
  if (g.edges.size() != (s.readout ? 7u : 6u)) return "it has edges outside the shape";
  return {};
}

// Parameters the lowering cannot carry: biases, an LI other than r = 1, v_leak = 0.
std::string check_parameters(const trainable_shape& s) {
  for (const nir_node* n : {s.w_in, s.w_rec, s.w_out})
    if (n->type == nir_type::affine && (n->params.at("bias").array() != 0.0).any())
      return fmt::format("'{}' (Affine) has a non-zero bias: no trainable biases in this version",
                         n->name);
  if (!s.readout) return {};
  const auto& p = s.readout->params;
  const Eigen::MatrixXd& tau = p.at("tau");
  if ((p.at("r").array() != 1.0).any() || (p.at("v_leak").array() != 0.0).any() ||
      (tau.array() != tau(0)).any())
    return fmt::format(
        "the LI readout '{}' needs r = 1, v_leak = 0 and one tau for all outputs (chaoschip's "
        "leaky readout)",
        s.readout->name);
  return {};
}

double number_of(const std::string& text, const std::string& key) {
  double x = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(x))
    throw parameter_error(key, "\"" + text + "\"", "a number (NIR metadata)");
  return x;
}

// A metadata value as a TOML value: numbers and booleans bare, anything else a string.
std::string toml_value(const std::string& text) {
  double x = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  const bool number = ec == std::errc() && end == text.data() + text.size() && !text.empty();
  if (number || text == "true" || text == "false") return text;
  std::string quoted = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') quoted += '\\';
    quoted += ch;
  }
  return quoted + "\"";
}

// The readout's tau in ms: its metadata, or the LI's tau (s). Under nir.integrator = "euler"
// the LI decays by 1 - dt/tau per step: the readout gets the tau with that decay.
double readout_tau_ms(const io::run_config& c, const trainable_shape& s) {
  if (!s.readout) return 0.0;
  if (auto it = s.readout->metadata.find(std::string(readout_tau_key));
      it != s.readout->metadata.end())
    return number_of(it->second, "readout.tau");
  const double tau = s.readout->params.at("tau")(0), dt = io::nir_step(c);
  if (c.nir.integrator != "euler") return tau * 1000.0;
  if (dt >= tau)
    throw parameter_error("nir.dt", fmt::format("{}", dt),
                          fmt::format("less than the LI readout's tau = {} s for nir.integrator = "
                                      "\"euler\" (its decay 1 - dt/tau must be positive)",
                                      tau));
  return -c.network.dt / std::log1p(-dt / tau);
}

}  // namespace

std::variant<trainable_shape, std::string> match_trainable(const nir_graph& g) {
  trainable_shape s;
  for (auto step : {sort_nodes, match_edges})
    if (std::string why = step(g, s); !why.empty()) return why;
  if (std::string why = check_parameters(s); !why.empty()) return why;
  return s;
}

bool has_chaoschip_model(const trainable_shape& s) {
  return s.recurrent->metadata.contains(std::string(model_key));
}

io::run_config trainable_config(const io::run_config& c, const trainable_shape& s) {
  io::run_config e = c;
  e.network.n_in = static_cast<std::int64_t>(io::nir_size(*s.input));
  e.network.n_rec = static_cast<std::int64_t>(io::nir_size(*s.recurrent));
  e.network.n_out = static_cast<std::int64_t>(io::nir_size(*s.output));
  e.network.delay_rec = 1;  // a cycle delivers a step later (docs/nir.md)
  e.readout.tau = readout_tau_ms(c, s);
  if (!has_chaoschip_model(s)) return e;
  // chaoschip's own network: its model and [neuron] keys, parsed and validated as a config's.
  std::vector<std::string> sets;
  for (const auto& [key, value] : s.recurrent->metadata) {
    if (key == model_key) sets.push_back("network.model=" + toml_value(value));
    if (key == delay_key) sets.push_back("network.delay_rec=" + value);
    if (key.starts_with(neuron_prefix))
      sets.push_back("neuron." + key.substr(neuron_prefix.size()) + "=" + toml_value(value));
  }
  return io::parse_config(io::to_toml(e),
                          fmt::format("<metadata of NIR node '{}'>", s.recurrent->name), sets);
}

network_plan trainable_network(const io::run_config& e, const trainable_shape& s,
                               const graph_plan& g) {
  io::weight_set w;
  w.w_in = s.w_in->params.at("weight");
  w.w_rec = s.w_rec->params.at("weight");
  w.w_out = s.w_out->params.at("weight");
  w.feedback = make_feedback(static_cast<std::uint64_t>(e.seed), e.network.n_rec, e.network.n_out);
  network_plan n = network_plan_of(e, w);
  // Self-connections the graph has are kept (and trained) as they are.
  n.autapses = n.autapses || (w.w_rec.diagonal().array() != 0.0).any();
  n.input_name = s.input->name;
  n.recurrent_name = s.recurrent->name;
  n.readout_name = s.readout ? s.readout->name : s.output->name;
  if (has_chaoschip_model(s)) return n;
  for (const auto& p : g.populations)
    if (p.name == s.recurrent->name) {
      n.recurrent_model = p.model;
      n.recurrent_values = p.values;
    }
  n.recurrent_values.set("gamma", e.neuron.gamma);
  n.recurrent_dt = g.dt;
  n.model = std::string(models::to_string(n.recurrent_model));
  return n;
}

graph_plan graph_with_weights(const plan& p, const io::weight_set& w) {
  graph_plan g = p.imported->graph;
  std::size_t rec = 0;
  for (std::size_t i = 0; i < g.populations.size(); ++i)
    if (g.populations[i].name == p.network.recurrent_name) rec = i;
  for (auto& proj : g.projections)
    if (proj.target == rec) proj.weights = proj.source == rec ? w.w_rec : w.w_in;
  g.recurrent = rec;
  return g;
}

}  // namespace chaoschip::experiment
