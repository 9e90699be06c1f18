// NIR graphs: the type table, node sizes and the rules every graph obeys (docs/nir.md).
// Reading is in nir_read.cpp, writing in nir_write.cpp, `info` in nir_summary.cpp.
#include "chaoschip/io/nir.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include "chaoschip/core/errors.hpp"
#include "nir_rules.hpp"

namespace chaoschip::io {

namespace {

struct type_entry {
  nir_type type;
  std::string_view name;
  std::vector<nir_parameter> parameters;
};

// The one table of node types: NIR's names and parameters (NIR's order; optional ones
// with the defaults NIR's reference library fills in).
const std::vector<type_entry>& type_table() {
  static const std::vector<type_entry> table = {
      {nir_type::input, "Input", {}},
      {nir_type::output, "Output", {}},
      {nir_type::affine, "Affine", {{"weight", true, 0}, {"bias", true, 0}}},
      {nir_type::linear, "Linear", {{"weight", true, 0}}},
      {nir_type::scale, "Scale", {{"scale", true, 0}}},
      {nir_type::delay, "Delay", {{"delay", true, 0}}},
      {nir_type::lif,
       "LIF",
       {{"tau", true, 0},
        {"r", true, 0},
        {"v_leak", true, 0},
        {"v_threshold", true, 0},
        {"v_reset", false, 0}}},
      {nir_type::cuba_lif,
       "CubaLIF",
       {{"tau_syn", true, 0},
        {"tau_mem", true, 0},
        {"r", true, 0},
        {"v_leak", true, 0},
        {"v_threshold", true, 0},
        {"v_reset", false, 0},
        {"w_in", false, 1}}},
      {nir_type::li, "LI", {{"tau", true, 0}, {"r", true, 0}, {"v_leak", true, 0}}},
      {nir_type::cuba_li,
       "CubaLI",
       {{"tau_syn", true, 0},
        {"tau_mem", true, 0},
        {"r", true, 0},
        {"v_leak", true, 0},
        {"w_in", false, 1}}},
      {nir_type::if_, "IF", {{"r", true, 0}, {"v_threshold", true, 0}, {"v_reset", false, 0}}},
      {nir_type::i, "I", {{"r", true, 0}}},
      {nir_type::threshold, "Threshold", {{"threshold", true, 0}}},
  };
  return table;
}

const type_entry& entry(nir_type type) {
  for (const auto& e : type_table())
    if (e.type == type) return e;
  throw std::logic_error("nir_type without a table entry");
}

bool is_weight(nir_type type) {
  return type == nir_type::affine || type == nir_type::linear;
}

// Time constants must be positive, delays non-negative; everything finite.
bool must_be_positive(std::string_view parameter) {
  return parameter == "tau" || parameter == "tau_mem" || parameter == "tau_syn";
}

std::string node_label(const nir_node& node) {
  return fmt::format("node '{}' ({})", node.name, to_string(node.type));
}

std::string matrix_shape(const Eigen::MatrixXd& m, bool vector) {
  return vector ? fmt::format("[{}]", m.rows()) : fmt::format("[{}, {}]", m.rows(), m.cols());
}

// The values of one parameter: finite, and in range for time constants and delays.
void check_values(const nir_node& node, const std::string& name, const Eigen::MatrixXd& m,
                  const nir_fail& fail) {
  for (Eigen::Index c = 0; c < m.cols(); ++c) {
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
      const double v = m(r, c);
      const std::string at = m.cols() == 1 ? fmt::format("[{}]", r) : fmt::format("[{}, {}]", r, c);
      if (!std::isfinite(v))
        fail(fmt::format("{}: parameter '{}' holds {} at {}, expected a finite number",
                         node_label(node), name, v, at));
      if (must_be_positive(name) && !(v > 0))
        fail(fmt::format("{}: parameter '{}' holds {} at {}, expected a time constant > 0",
                         node_label(node), name, v, at));
      if (name == "delay" && v < 0)
        fail(fmt::format("{}: parameter 'delay' holds {} at {}, expected >= 0", node_label(node), v,
                         at));
    }
  }
}

void check_shape_attribute(const nir_node& node, const nir_fail& fail) {
  const bool io = node.type == nir_type::input || node.type == nir_type::output;
  if (!io) {
    if (!node.shape.empty())
      fail(fmt::format("{}: has a 'shape', which only Input and Output nodes carry",
                       node_label(node)));
    return;
  }
  if (node.shape.empty())
    fail(fmt::format("{}: 'shape' is empty, expected at least one dimension", node_label(node)));
  double size = 1;
  for (std::int64_t d : node.shape) {
    if (d < 1)
      fail(fmt::format("{}: 'shape' {} has a dimension < 1", node_label(node),
                       format_nir_shape(node.shape)));
    size *= static_cast<double>(d);
  }
  if (size > static_cast<double>(std::numeric_limits<std::int32_t>::max()))
    fail(fmt::format("{}: 'shape' {} has {} elements, expected at most 2147483647",
                     node_label(node), format_nir_shape(node.shape), size));
}

// Parameters: known, present, of consistent sizes (one length within a node).
void check_parameters(const nir_node& node, const nir_fail& fail) {
  const auto& specs = nir_parameters(node.type);
  for (const auto& entry : node.params) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const std::string& name = entry.first;
    if (std::none_of(specs.begin(), specs.end(), [&](const auto& s) { return s.name == name; }))
      fail(fmt::format("{}: '{}' is not a parameter of {}", node_label(node), name,
                       to_string(node.type)));
  }
  std::optional<Eigen::Index> length;
  std::string first;
  for (const auto& spec : specs) {
    const auto it = node.params.find(std::string(spec.name));
    if (it == node.params.end()) {
      fail(fmt::format("{}: parameter '{}' is missing", node_label(node), spec.name));
    }
    const Eigen::MatrixXd& m = it->second;
    if (spec.name == "weight") {
      if (m.rows() < 1 || m.cols() < 1)
        fail(fmt::format("{}: 'weight' has shape {}, expected [out >= 1, in >= 1]",
                         node_label(node), matrix_shape(m, false)));
    } else {
      if (m.cols() != 1 || m.rows() < 1)
        fail(fmt::format("{}: parameter '{}' has shape {}, expected a vector of length >= 1",
                         node_label(node), spec.name, matrix_shape(m, false)));
      if (!length) {
        length = m.rows();
        first = spec.name;
      } else if (*length != m.rows()) {
        fail(
            fmt::format("{}: parameter '{}' has length {} but '{}' has length {}, expected one "
                        "length for all",
                        node_label(node), spec.name, m.rows(), first, *length));
      }
    }
    check_values(node, std::string(spec.name), m, fail);
  }
  if (node.type == nir_type::affine && length && *length != node.params.at("weight").rows())
    fail(fmt::format("{}: 'bias' has length {}, expected {} (the rows of 'weight')",
                     node_label(node), *length, node.params.at("weight").rows()));
}

void check_edges(const nir_graph& graph, const std::unordered_map<std::string, std::size_t>& index,
                 const nir_fail& fail) {
  for (const auto& e : graph.edges) {
    const std::string label = fmt::format("edge '{}' -> '{}'", e.source, e.target);
    for (const std::string* end : {&e.source, &e.target})
      if (!index.count(*end)) fail(fmt::format("{}: there is no node '{}'", label, *end));
    const nir_node& source = graph.nodes[index.at(e.source)];
    const nir_node& target = graph.nodes[index.at(e.target)];
    if (source.type == nir_type::output)
      fail(fmt::format("{}: leaves an Output node (Output nodes end the graph)", label));
    if (target.type == nir_type::input)
      fail(fmt::format("{}: enters an Input node (Input nodes start the graph)", label));
    const std::size_t out = nir_size(source), in = nir_input_size(target);
    if (out != in)
      fail(fmt::format("{}: '{}' emits {} values but {} takes {}", label, source.name, out,
                       node_label(target), in));
  }
}

// A cycle that passes no Affine or Linear node: a node feeding itself without weights.
void check_cycles(const nir_graph& graph, const std::unordered_map<std::string, std::size_t>& index,
                  const nir_fail& fail) {
  const std::size_t n = graph.nodes.size();
  std::vector<std::vector<std::size_t>> next(n);
  for (const auto& e : graph.edges) {
    const std::size_t s = index.at(e.source), t = index.at(e.target);
    if (!is_weight(graph.nodes[s].type) && !is_weight(graph.nodes[t].type)) next[s].push_back(t);
  }
  enum class mark { unseen, open, done };
  std::vector<mark> state(n, mark::unseen);
  std::vector<std::size_t> path;
  // Depth-first, iteratively (a long chain must not overflow the stack).
  for (std::size_t root = 0; root < n; ++root) {
    if (state[root] != mark::unseen || is_weight(graph.nodes[root].type)) continue;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
    state[root] = mark::open;
    path = {root};
    while (!stack.empty()) {
      auto& [v, i] = stack.back();
      if (i == next[v].size()) {
        state[v] = mark::done;
        stack.pop_back();
        path.pop_back();
        continue;
      }
      const std::size_t w = next[v][i++];
      if (state[w] == mark::open) {
        std::string cycle;
        const auto from = std::find(path.begin(), path.end(), w);
        for (auto it = from; it != path.end(); ++it) cycle += "'" + graph.nodes[*it].name + "' -> ";
        fail(
            fmt::format("the cycle {}'{}' passes no Affine or Linear node (a recurrent "
                        "connection needs weights)",
                        cycle, graph.nodes[w].name));
      }
      if (state[w] == mark::unseen) {
        state[w] = mark::open;
        stack.emplace_back(w, 0);
        path.push_back(w);
      }
    }
  }
}

}  // namespace

std::string_view to_string(nir_type type) {
  return entry(type).name;
}

std::optional<nir_type> nir_type_from_string(std::string_view name) {
  for (const auto& e : type_table())
    if (e.name == name) return e.type;
  return std::nullopt;
}

const std::vector<nir_type>& nir_types() {
  static const std::vector<nir_type> all = [] {
    std::vector<nir_type> v;
    for (const auto& e : type_table()) v.push_back(e.type);
    return v;
  }();
  return all;
}

const std::vector<nir_parameter>& nir_parameters(nir_type type) {
  return entry(type).parameters;
}

std::string supported_nir_types() {
  std::string s;
  for (const auto& e : type_table()) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

std::string format_nir_shape(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::size_t nir_size(const nir_node& node) {
  switch (node.type) {
    case nir_type::input:
    case nir_type::output: {
      std::size_t n = 1;
      for (std::int64_t d : node.shape) n *= static_cast<std::size_t>(std::max<std::int64_t>(d, 0));
      return n;
    }
    case nir_type::affine:
    case nir_type::linear: {
      const auto it = node.params.find("weight");
      return it == node.params.end() ? 0 : static_cast<std::size_t>(it->second.rows());
    }
    default: {
      // Every parameter of the other types has the node's length.
      const auto& specs = nir_parameters(node.type);
      const auto it = node.params.find(std::string(specs.front().name));
      return it == node.params.end() ? 0 : static_cast<std::size_t>(it->second.size());
    }
  }
}

std::size_t nir_input_size(const nir_node& node) {
  if (!is_weight(node.type)) return nir_size(node);
  const auto it = node.params.find("weight");
  return it == node.params.end() ? 0 : static_cast<std::size_t>(it->second.cols());
}

void validate_nir(const nir_graph& graph, const nir_fail& fail) {
  if (graph.nodes.empty()) fail("the graph has no nodes");
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const nir_node& node = graph.nodes[i];
    if (node.name.empty()) fail(fmt::format("node {} has an empty name", i));
    if (!index.emplace(node.name, i).second)
      fail(fmt::format("two nodes are named '{}'", node.name));
    check_shape_attribute(node, fail);
    check_parameters(node, fail);
  }
  check_edges(graph, index, fail);
  check_cycles(graph, index, fail);
}

void nir_fail::operator()(const std::string& message) const {
  if (file.empty()) throw input_error("NIR graph: " + message);
  throw file_error(file, message);
}

void validate_nir(const nir_graph& graph) {
  validate_nir(graph, nir_fail{});
}

std::vector<bool> nir_recurrent_edges(const nir_graph& graph) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) index.emplace(graph.nodes[i].name, i);
  const std::size_t n = graph.nodes.size();
  std::vector<std::vector<std::size_t>> out(n);  // edge indices leaving each node
  for (std::size_t e = 0; e < graph.edges.size(); ++e) {
    const auto s = index.find(graph.edges[e].source);
    if (s != index.end() && index.count(graph.edges[e].target)) out[s->second].push_back(e);
  }
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < n; ++i)
    if (graph.nodes[i].type == nir_type::input) roots.push_back(i);
  for (std::size_t i = 0; i < n; ++i)
    if (graph.nodes[i].type != nir_type::input) roots.push_back(i);

  enum class mark { unseen, open, done };
  std::vector<mark> state(n, mark::unseen);
  std::vector<bool> back(graph.edges.size(), false);
  for (std::size_t root : roots) {
    if (state[root] != mark::unseen) continue;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
    state[root] = mark::open;
    while (!stack.empty()) {
      auto& [v, i] = stack.back();
      if (i == out[v].size()) {
        state[v] = mark::done;
        stack.pop_back();
        continue;
      }
      const std::size_t e = out[v][i++];
      const std::size_t w = index.at(graph.edges[e].target);
      if (state[w] == mark::open) back[e] = true;
      if (state[w] == mark::unseen) {
        state[w] = mark::open;
        stack.emplace_back(w, 0);
      }
    }
  }
  return back;
}

}  // namespace chaoschip::io
