// `chaoschip info GRAPH.nir`: what a NIR graph holds, after flattening and validation.
#include <fmt/format.h>

#include <algorithm>

#include "chaoschip/io/nir.hpp"
#include "nir_rules.hpp"

namespace chaoschip::io {

namespace {

bool is_neuron(nir_type type) {
  switch (type) {
    case nir_type::lif:
    case nir_type::cuba_lif:
    case nir_type::li:
    case nir_type::cuba_li:
    case nir_type::if_:
    case nir_type::i:
      return true;
    default:
      return false;
  }
}

// "12 -> 38" for weights, "38" otherwise.
std::string size_text(const nir_node& node) {
  const std::size_t in = nir_input_size(node), out = nir_size(node);
  return in == out && node.type != nir_type::affine && node.type != nir_type::linear
             ? std::to_string(out)
             : fmt::format("{} -> {}", in, out);
}

std::string parameters_text(const nir_node& node) {
  if (node.type == nir_type::input || node.type == nir_type::output)
    return "shape " + format_nir_shape(node.shape);
  std::string text;
  for (const auto& spec : nir_parameters(node.type)) {
    const Eigen::MatrixXd& m = node.params.at(std::string(spec.name));
    text += (text.empty() ? "" : ", ") + std::string(spec.name) +
            (spec.name == "weight" ? fmt::format(" [{}, {}]", m.rows(), m.cols())
                                   : fmt::format(" [{}]", m.rows()));
  }
  return text;
}

}  // namespace

std::string summarize_nir_file(const std::filesystem::path& path) {
  const nir_graph graph = read_nir(path);
  const std::vector<bool> recurrent = nir_recurrent_edges(graph);
  std::size_t neurons = 0, neuron_nodes = 0;
  std::size_t name_width = 4, type_width = 4, size_width = 4;
  for (const auto& node : graph.nodes) {
    if (is_neuron(node.type)) {
      ++neuron_nodes;
      neurons += nir_size(node);
    }
    name_width = std::max(name_width, node.name.size());
    type_width = std::max(type_width, to_string(node.type).size());
    size_width = std::max(size_width, size_text(node).size());
  }
  const auto n_recurrent =
      static_cast<std::size_t>(std::count(recurrent.begin(), recurrent.end(), true));

  std::string out = fmt::format("NIR graph {}\n", path.string());
  out += fmt::format("version: {}\n",
                     graph.version.empty() ? std::string("none stated (NIR 0.1)") : graph.version);
  out += fmt::format("{} nodes ({} neurons in {} neuron nodes), {} edges ({} recurrent)\n",
                     graph.nodes.size(), neurons, neuron_nodes, graph.edges.size(), n_recurrent);
  for (const auto& [key, value] : graph.metadata)
    out += fmt::format("metadata {} = {}\n", key, value);
  for (const auto& note : graph.notes) out += "note: " + note + "\n";

  out += fmt::format("\nnodes:\n  {:<{}}  {:<{}}  {:>{}}  parameters\n", "name", name_width, "type",
                     type_width, "size", size_width);
  for (const auto& node : graph.nodes) {
    out +=
        fmt::format("  {:<{}}  {:<{}}  {:>{}}  {}\n", node.name, name_width, to_string(node.type),
                    type_width, size_text(node), size_width, parameters_text(node));
    for (const auto& [key, value] : node.metadata)
      out += fmt::format("  {:<{}}  metadata {} = {}\n", "", name_width, key, value);
  }

  out += "\nedges:\n";
  for (std::size_t e = 0; e < graph.edges.size(); ++e) {
    out += fmt::format("  {} -> {}{}\n", graph.edges[e].source, graph.edges[e].target,
                       recurrent[e] ? "   (recurrent: closes a cycle)" : "");
  }
  if (graph.edges.empty()) out += "  none\n";
  return out;
}

}  // namespace chaoschip::io
