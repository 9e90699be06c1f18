// Reading NIR files: the HDF5 layout of NIR's reference library (nir/serialization.py),
// nested NIRGraph nodes flattened into one graph, then every rule of docs/nir.md checked.
#include <H5Cpp.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/nir.hpp"
#include "h5.hpp"
#include "nir_rules.hpp"

namespace chaoschip::io {

namespace {

// Deeper nesting is a damaged file (HDF5 hard links can make a group its own descendant).
constexpr int kMaxDepth = 32;
// Edges are between populations, so real graphs have few; joining the edges through many
// nested Input/Output nodes could multiply them without bound.
constexpr std::size_t kMaxEdges = 1 << 20;

// The names of a group's members, in creation order when the writer recorded it (NIR's
// reference library with track_order, and chaoschip), else in name order (HDF5's default).
std::vector<std::string> child_names(const H5::Group& group) {
  const hid_t id = group.getId();
  unsigned flags = 0;
  const hid_t plist = H5Gget_create_plist(id);
  if (plist >= 0) {
    H5Pget_link_creation_order(plist, &flags);
    H5Pclose(plist);
  }
  const H5_index_t index = (flags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  H5G_info_t info;
  if (H5Gget_info(id, &info) < 0) throw H5::GroupIException("H5Gget_info", "cannot list a group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t length =
        H5Lget_name_by_idx(id, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (length < 0) throw H5::GroupIException("H5Lget_name_by_idx", "cannot read a member name");
    std::string name(static_cast<std::size_t>(length) + 1, '\0');
    H5Lget_name_by_idx(id, ".", index, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(length));
    names.push_back(std::move(name));
  }
  return names;
}

// A dataset holding one string ("type", "version").
std::string read_string(const H5::Group& root, const std::string& file, const std::string& name) {
  auto [set, shape] = h5::open_dataset(root, file, name, {H5T_STRING});
  const auto values = h5::read_strings(set, file, name, shape);
  if (values.size() != 1)
    throw file_error(file, fmt::format("dataset '{}' has shape {}, expected one string", name,
                                       h5::format_shape(shape)));
  return values.front();
}

// NIR 0.1 to 1.x: major.minor at the start ("0.2.0", "1.0.7").
bool supported_version(const std::string& version) {
  const auto dot = version.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  const std::string major = version.substr(0, dot);
  std::size_t end = dot + 1;
  while (end < version.size() && std::isdigit(static_cast<unsigned char>(version[end]))) ++end;
  if (end == dot + 1) return false;
  if (major == "1") return true;
  return major == "0" &&
         std::stoll(version.substr(dot + 1, std::min<std::size_t>(end - dot - 1, 9))) >= 1;
}

// Scalar strings and numbers of a `metadata` group; anything else is skipped.
std::map<std::string, std::string> read_metadata(const H5::Group& root, const std::string& file,
                                                 const std::string& path) {
  std::map<std::string, std::string> metadata;
  if (!h5::exists(root, path) || root.childObjType(path) != H5O_TYPE_GROUP) return metadata;
  const H5::Group group = root.openGroup(path);
  for (const auto& key : child_names(group)) {
    if (group.childObjType(key) != H5O_TYPE_DATASET) continue;
    const std::string name = path + "/" + key;
    const H5::DataSet set = root.openDataSet(name);
    if (set.getSpace().getSimpleExtentNpoints() != 1) continue;
    switch (set.getTypeClass()) {
      case H5T_STRING:
        metadata[key] = read_string(root, file, name);
        break;
      case H5T_INTEGER: {
        std::int64_t v = 0;
        set.read(&v, H5::PredType::NATIVE_INT64);
        metadata[key] = std::to_string(v);
        break;
      }
      case H5T_FLOAT: {
        double v = 0;
        set.read(&v, H5::PredType::NATIVE_DOUBLE);
        metadata[key] = fmt::format("{}", v);
        break;
      }
      default:
        break;
    }
  }
  return metadata;
}

struct located_edge {
  nir_edge edge;
  std::string where;  // "row 3 of 'node/edges'"
};

// A subgraph's Input and Output nodes, by flattened name.
struct interface {
  std::vector<std::string> inputs, outputs;
};

// A graph's own nodes as the file names them, and which of them are Input/Output nodes.
struct local_names {
  std::vector<std::string> all;
  std::set<std::string> ends;
};

class reader {
 public:
  reader(std::string file, const H5::Group& root) : file_(std::move(file)), root_(root) {
    fail_.file = file_;
  }

  nir_graph read() {
    graph_.version = read_version();
    if (!h5::exists(root_, "node") || root_.childObjType("node") != H5O_TYPE_GROUP)
      fail_("not a NIR graph: there is no group 'node' at the root");
    if (!h5::exists(root_, "node/type"))
      fail_("not a NIR graph: dataset 'node/type' (the node type, \"NIRGraph\") is missing");
    const std::string type = read_string(root_, file_, "node/type");
    if (type != "NIRGraph")
      fail_(fmt::format("dataset 'node/type' is '{}', expected 'NIRGraph' (a graph)", type));
    graph_.metadata = read_metadata(root_, file_, "node/metadata");
    read_graph("node", "", 0);
    flatten();
    validate_nir(graph_, fail_);
    return std::move(graph_);
  }

 private:
  std::string read_version() {
    std::string version;
    if (h5::exists(root_, "version"))
      version = read_string(root_, file_, "version");
    else if (auto attribute = h5::read_string_attribute(root_.openGroup("/"), "version"))
      version = *attribute;
    else
      return "";  // NIR 0.1 wrote no version
    if (!supported_version(version))
      fail_(fmt::format("NIR version '{}' is not supported, expected 0.1 to 1.x", version));
    return version;
  }

  interface read_graph(const std::string& path, const std::string& prefix, int depth) {
    if (depth > kMaxDepth)
      fail_(fmt::format("'{}': subgraphs nested deeper than {} (damaged file?)", path, kMaxDepth));
    // A group linked twice (HDF5 hard links) would be read twice, or for ever in a loop.
    H5O_info_t info;
    if (H5Oget_info2(root_.openGroup(path).getId(), &info, H5O_INFO_BASIC) < 0)
      throw H5::GroupIException("H5Oget_info2", "cannot inspect a group");
    if (!graphs_seen_.insert(info.addr).second)
      fail_(fmt::format("'{}' is a graph already read under another name (a damaged file?)", path));
    const std::string nodes_path = path + "/nodes";
    if (!h5::exists(root_, nodes_path) || root_.childObjType(nodes_path) != H5O_TYPE_GROUP)
      fail_(fmt::format("group '{}' (the graph's nodes) is missing", nodes_path));
    interface own;
    std::map<std::string, interface> subgraphs;
    // This graph's own nodes (not subgraphs) as the file names them; which are Input/Output.
    std::vector<std::string> locals;
    std::set<std::string> ends;
    for (const auto& name : child_names(root_.openGroup(nodes_path))) {
      const std::string node_path = nodes_path + "/" + name;
      if (root_.childObjType(node_path) != H5O_TYPE_GROUP)
        fail_(fmt::format("'{}' is not a group, expected a node", node_path));
      const std::string type = read_string(root_, file_, node_path + "/type");
      if (type == "NIRGraph") {
        subgraphs[name] = read_graph(node_path, prefix + name + ".", depth + 1);
        continue;
      }
      const auto parsed = nir_type_from_string(type);
      if (!parsed)
        fail_(
            fmt::format("node '{}' has type '{}', which chaoschip does not support (supported: "
                        "{}, NIRGraph)",
                        prefix + name, type, supported_nir_types()));
      add_node(read_node(node_path, prefix + name, *parsed));
      locals.push_back(name);
      if (*parsed == nir_type::input || *parsed == nir_type::output) ends.insert(name);
      if (depth > 0 && (*parsed == nir_type::input || *parsed == nir_type::output)) {
        passthrough_.push_back(prefix + name);
        (*parsed == nir_type::input ? own.inputs : own.outputs).push_back(prefix + name);
      }
    }
    read_edges(path + "/edges", prefix, depth, {locals, ends}, subgraphs);
    return own;
  }

  void add_node(nir_node node) {
    if (!names_.insert(node.name).second)
      fail_(fmt::format("two nodes are named '{}' once subgraphs are flattened", node.name));
    graph_.nodes.push_back(std::move(node));
  }

  nir_node read_node(const std::string& path, const std::string& name, nir_type type) {
    nir_node node;
    node.name = name;
    node.type = type;
    if (type == nir_type::input || type == nir_type::output) {
      const std::string shape_path = path + "/shape";
      check_element_size(shape_path);
      auto shape = h5::read_dataset<std::int64_t>(root_, file_, shape_path, {H5T_INTEGER});
      if (shape.shape.size() > 1)
        fail_(fmt::format("dataset '{}' has shape {}, expected a vector of dimensions", shape_path,
                          h5::format_shape(shape.shape)));
      node.shape = std::move(shape.values);
    }
    for (const auto& spec : nir_parameters(type)) {
      const std::string dataset = path + "/" + std::string(spec.name);
      if (h5::exists(root_, dataset))
        node.params[std::string(spec.name)] = read_parameter(dataset, spec.name == "weight");
      else if (spec.required)
        fail_(fmt::format("node '{}' ({}): parameter '{}' is missing (no dataset '{}')", name,
                          to_string(type), spec.name, dataset));
    }
    fill_defaults(node);
    node.metadata = read_metadata(root_, file_, path + "/metadata");
    return node;
  }

  // A numeric element wider than 8 bytes is a damaged type: HDF5 would allocate and zero
  // a conversion buffer of that many bytes per element before reading.
  void check_element_size(const std::string& dataset) {
    if (!h5::exists(root_, dataset) || root_.childObjType(dataset) != H5O_TYPE_DATASET) return;
    const std::size_t size = root_.openDataSet(dataset).getDataType().getSize();
    if (size > 8)
      fail_(fmt::format("dataset '{}' has {}-byte elements, expected at most 8 (damaged file?)",
                        dataset, size));
  }

  // A weight [out, in] as a matrix, any other parameter (a scalar or a vector) as n x 1.
  Eigen::MatrixXd read_parameter(const std::string& dataset, bool weight) {
    check_element_size(dataset);
    const auto data = h5::read_dataset<double>(root_, file_, dataset, {H5T_FLOAT, H5T_INTEGER});
    if (weight) {
      if (data.shape.size() != 2)
        fail_(fmt::format("dataset '{}' has shape {}, expected [out, in]", dataset,
                          h5::format_shape(data.shape)));
      using row_major = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      return Eigen::Map<const row_major>(data.values.data(),
                                         static_cast<Eigen::Index>(data.shape[0]),
                                         static_cast<Eigen::Index>(data.shape[1]));
    }
    if (data.shape.size() > 1)
      fail_(fmt::format("dataset '{}' has shape {}, expected a vector", dataset,
                        h5::format_shape(data.shape)));
    return Eigen::Map<const Eigen::VectorXd>(data.values.data(),
                                             static_cast<Eigen::Index>(data.values.size()));
  }

  // NIR's defaults for the optional parameters, at the node's length.
  static void fill_defaults(nir_node& node) {
    Eigen::Index length = 0;
    for (const auto& spec : nir_parameters(node.type)) {
      const auto it = node.params.find(std::string(spec.name));
      if (it != node.params.end() && spec.name != "weight") {
        length = it->second.rows();
        break;
      }
    }
    for (const auto& spec : nir_parameters(node.type))
      if (!spec.required && !node.params.count(std::string(spec.name)))
        node.params[std::string(spec.name)] = Eigen::VectorXd::Constant(length, spec.default_value);
  }

  // The rows of an edges dataset, as the file names them.
  std::vector<std::pair<std::string, std::string>> read_edge_names(const std::string& path) {
    auto [set, shape] = h5::open_dataset(root_, file_, path, {H5T_STRING, H5T_FLOAT, H5T_INTEGER});
    std::size_t n = 1;
    for (hsize_t d : shape) n *= d;
    if (n == 0) return {};  // no edges: h5py writes an empty list as float64 (0,)
    if (set.getTypeClass() != H5T_STRING || shape.size() != 2 || shape[1] != 2)
      fail_(fmt::format("dataset '{}' has type {} and shape {}, expected strings [edges, 2]", path,
                        h5::type_name(set.getDataType()), h5::format_shape(shape)));
    const auto names = h5::read_strings(set, file_, path, shape);
    std::vector<std::pair<std::string, std::string>> rows;
    for (std::size_t row = 0; row < names.size() / 2; ++row)
      rows.emplace_back(names[2 * row], names[2 * row + 1]);
    return rows;
  }

  // NIR's braille subgraph files (made by a notebook of the NIR paper) store the recurrent
  // CubaLIF as `lif1` but name it `lif` in the subgraph's edges. Inside a subgraph, when
  // exactly one edge name matches nothing and exactly one node is named by no edge, the
  // name means that node; the repair is recorded in nir_graph::notes.
  void repair_edge_names(std::vector<std::pair<std::string, std::string>>& rows,
                         const std::string& path, const local_names& locals,
                         const std::map<std::string, interface>& subgraphs) {
    auto known = [&](const std::string& name) {
      if (std::find(locals.all.begin(), locals.all.end(), name) != locals.all.end()) return true;
      if (subgraphs.count(name)) return true;
      const auto dot = name.find('.');
      return dot != std::string::npos && subgraphs.count(name.substr(0, dot)) > 0;
    };
    std::set<std::string> unmatched, named;
    for (const auto& [source, target] : rows)
      for (const std::string* end : {&source, &target}) {
        named.insert(*end);
        if (!known(*end)) unmatched.insert(*end);
      }
    std::vector<std::string> unnamed;
    for (const auto& local : locals.all)
      if (!named.count(local) && !locals.ends.count(local)) unnamed.push_back(local);
    for (const auto& [name, sub] : subgraphs)
      if (!named.count(name)) unnamed.push_back(name);
    if (unmatched.size() != 1 || unnamed.size() != 1) return;
    const std::string& wrong = *unmatched.begin();
    for (auto& [source, target] : rows)
      for (std::string* end : {&source, &target})
        if (*end == wrong) *end = unnamed.front();
    graph_.notes.push_back(fmt::format(
        "'{}' names '{}', which is no node of its graph; read as '{}', the only node no edge "
        "names",
        path, wrong, unnamed.front()));
  }

  void read_edges(const std::string& path, const std::string& prefix, int depth,
                  const local_names& locals, const std::map<std::string, interface>& subgraphs) {
    auto rows = read_edge_names(path);
    if (depth > 0) repair_edge_names(rows, path, locals, subgraphs);
    for (std::size_t row = 0; row < rows.size(); ++row) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const std::string& source = rows[row].first;
      const std::string& target = rows[row].second;
      const std::string where = fmt::format("row {} of '{}'", row, path);
      auto resolve = [&](const std::string& local, bool as_target) {
        const auto sub = subgraphs.find(local);
        if (sub == subgraphs.end()) return prefix + local;
        const auto& ends = as_target ? sub->second.inputs : sub->second.outputs;
        if (ends.size() != 1)
          fail_(
              fmt::format("edge '{}' -> '{}' ({}): subgraph '{}' has {} {} nodes, expected "
                          "one (or name it as '{}.<node>')",
                          source, target, where, prefix + local, ends.size(),
                          as_target ? "Input" : "Output", prefix + local));
        return ends.front();
      };
      edges_.push_back({{resolve(source, false), resolve(target, true)}, where});
    }
  }

  // Inner Input and Output nodes pass values through: each edge into one is joined with
  // each edge out of it, then the node goes.
  void flatten() {
    for (const auto& e : edges_)
      for (const std::string* end : {&e.edge.source, &e.edge.target})
        if (!names_.count(*end))
          fail_(fmt::format("edge '{}' -> '{}' ({}): there is no node '{}'", e.edge.source,
                            e.edge.target, e.where, *end));
    for (const auto& p : passthrough_) {
      std::vector<std::string> targets;  // what p feeds
      for (const auto& e : edges_)
        if (e.edge.source == p && e.edge.target != p) targets.push_back(e.edge.target);
      std::vector<located_edge> kept;
      for (const auto& e : edges_) {
        if (e.edge.source == p) continue;
        if (e.edge.target != p) {
          kept.push_back(e);
          continue;
        }
        for (const auto& t : targets) kept.push_back({{e.edge.source, t}, e.where});
        if (kept.size() > kMaxEdges)
          fail_(fmt::format("flattening the subgraphs makes more than {} edges (damaged file?)",
                            kMaxEdges));
      }
      edges_ = std::move(kept);
    }
    const std::set<std::string> gone(passthrough_.begin(), passthrough_.end());
    std::erase_if(graph_.nodes, [&](const nir_node& n) { return gone.count(n.name) > 0; });
    for (auto& e : edges_) graph_.edges.push_back(std::move(e.edge));
  }

  std::string file_;
  H5::Group root_;
  nir_fail fail_;
  nir_graph graph_;
  std::set<std::string> names_;
  std::set<haddr_t> graphs_seen_;
  std::vector<std::string> passthrough_;
  std::vector<located_edge> edges_;
};

}  // namespace

nir_graph read_nir(const std::filesystem::path& path) {
  const auto held = h5::lock();
  const std::string file = path.string();
  H5::H5File h5file = h5::open_read(file);
  return h5::guard(file, h5::reading, [&] { return reader(file, h5file.openGroup("/")).read(); });
}

nir_graph read_nir_group(const std::string& file, const H5::Group& root) {
  return reader(file, root).read();
}

std::optional<nir_graph> read_run_graph(const std::filesystem::path& path) {
  const auto held = h5::lock();
  const std::string file = path.string();
  H5::H5File h5file = h5::open_read(file);
  return h5::guard(file, h5::reading, [&]() -> std::optional<nir_graph> {
    if (!h5::exists(h5file, "nir")) return std::nullopt;
    return reader(file, h5file.openGroup("nir")).read();
  });
}

bool is_nir_file(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".nir") return true;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const auto held = h5::lock();
  try {
    if (H5Fis_hdf5(path.c_str()) <= 0) return false;
    const H5::H5File file(path.string(), H5F_ACC_RDONLY);
    return file.nameExists("node") && file.childObjType("node") == H5O_TYPE_GROUP;
  } catch (const H5::Exception&) {
    return false;
  }
}

}  // namespace chaoschip::io
