#pragma once
// NIR graphs (Neuromorphic Intermediate Representation, Pedersen et al., Nat. Commun. 2024):
// the HDF5 graph format snnTorch, Norse, Rockpool and Lava exchange networks in. Reading
// flattens nested subgraphs and validates the result; writing stores a flat graph in
// float64. Plain data, so that the code lowering a graph to a network can consume it.
// Layout, node types and rules: docs/nir.md.
#include <Eigen/Dense>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chaoschip::io {

// The node types chaoschip reads and writes (NIR's names: to_string).
enum class nir_type {
  input,
  output,
  affine,
  linear,
  scale,
  delay,
  lif,
  cuba_lif,
  li,
  cuba_li,
  if_,
  i,
  threshold
};

// NIR's type name ("CubaLIF" for cuba_lif).
std::string_view to_string(nir_type type);
// The type NIR calls `name`; nullopt for a name chaoschip does not support.
std::optional<nir_type> nir_type_from_string(std::string_view name);
// Every supported type, in the order of the enum.
const std::vector<nir_type>& nir_types();

// The parameters a node of `type` carries, in NIR's order. Optional ones (v_reset, w_in)
// get NIR's defaults when a file lacks them (0 and 1), so a read node always has all.
// Input and Output carry none: their `shape` is nir_node::shape.
struct nir_parameter {
  std::string_view name;
  bool required;
  double default_value;  // when !required
};
const std::vector<nir_parameter>& nir_parameters(nir_type type);

struct nir_node {
  std::string name;  // flattened: "lif1.lin" for node `lin` of subgraph `lif1`
  nir_type type = nir_type::input;
  // Weights [out, in] as matrices; every other parameter an n x 1 vector.
  std::map<std::string, Eigen::MatrixXd> params;
  std::vector<std::int64_t> shape;  // Input and Output only
  std::map<std::string, std::string> metadata;
};

struct nir_edge {
  std::string source, target;
};

struct nir_graph {
  std::string version;  // as the file states it; "" for NIR 0.1 files, which state none
  std::vector<nir_node> nodes;
  std::vector<nir_edge> edges;
  std::map<std::string, std::string> metadata;
  // What reading repaired to make a file usable (docs/nir.md, "Subgraphs"); `info` shows
  // them, write_nir ignores them.
  std::vector<std::string> notes;
};

// The version write_nir stores.
inline constexpr std::string_view nir_write_version = "1.0.0";

// Reads, flattens and validates a NIR file. Every problem is a file_error naming the file
// and the node, edge or dataset (exit 2).
nir_graph read_nir(const std::filesystem::path& path);

// Writes a flat, valid graph (validate_nir first) atomically, parameters as float64, in
// NIR's layout, nodes in their order. Refuses a target that is a device, a FIFO, a
// directory, or one of the calling command's `inputs` (the message names `command`).
void write_nir(const std::filesystem::path& path, const nir_graph& graph,
               const std::vector<std::string>& inputs = {}, const std::string& command = "export");

// Throws input_error naming the node or edge when the graph breaks a rule of docs/nir.md.
void validate_nir(const nir_graph& graph);

// The width of what a node emits (neurons, or an Affine's rows), and of what it takes in.
std::size_t nir_size(const nir_node& node);
std::size_t nir_input_size(const nir_node& node);

// Per edge: whether it closes a cycle (a back edge of a depth-first search from the Input
// nodes, then from the remaining nodes, in node and edge order): the recurrent edges.
std::vector<bool> nir_recurrent_edges(const nir_graph& graph);

// The graph a run file holds under /nir (a run of a NIR graph); nullopt when it has none.
// file_error naming the file when it is not a readable run file or the graph is broken.
std::optional<nir_graph> read_run_graph(const std::filesystem::path& path);

// Whether `path` is meant as a NIR graph: named *.nir, or an HDF5 file with a root `node`.
bool is_nir_file(const std::filesystem::path& path);

// `chaoschip info GRAPH.nir`: version, nodes, edges and the recurrent ones (reads and
// validates the whole graph first).
std::string summarize_nir_file(const std::filesystem::path& path);

}  // namespace chaoschip::io
