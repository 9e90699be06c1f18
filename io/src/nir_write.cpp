// Writing NIR files in the reference library's layout (nir/serialization.py): a root
// `version` string dataset, the graph in group `node`, strings as variable-length UTF-8
// (h5py's string_dtype), parameters as float64 so that values round-trip bit for bit.
#include <H5Cpp.h>

#include "chaoschip/io/nir.hpp"
#include "chaoschip/io/paths.hpp"
#include "h5.hpp"
#include "nir_rules.hpp"

namespace chaoschip::io {

namespace {

// A group that records its members' creation order, so a reader gets the nodes back in
// the order they were written (h5py's track_order).
H5::Group create_ordered_group(const H5::Group& parent, const std::string& name) {
  const hid_t plist = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_link_creation_order(plist, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  const hid_t id = H5Gcreate2(parent.getId(), name.c_str(), H5P_DEFAULT, plist, H5P_DEFAULT);
  H5Pclose(plist);
  if (id < 0) throw H5::GroupIException("H5Gcreate2", "cannot create group " + name);
  H5::Group group(id);  // takes its own reference
  H5Gclose(id);
  return group;
}

H5::StrType utf8_type() {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  return type;
}

void write_string(const H5::Group& parent, const std::string& name, const std::string& value) {
  const H5::StrType type = utf8_type();
  parent.createDataSet(name, type, H5::DataSpace(H5S_SCALAR)).write(value, type);
}

void write_metadata(const H5::Group& parent, const std::map<std::string, std::string>& metadata) {
  if (metadata.empty()) return;  // as the reference library: no group for no metadata
  const H5::Group group = create_ordered_group(parent, "metadata");
  for (const auto& [key, value] : metadata) write_string(group, key, value);
}

void write_node(const H5::Group& nodes, const nir_node& node) {
  const H5::Group group = create_ordered_group(nodes, node.name);
  write_string(group, "type", std::string(to_string(node.type)));
  if (node.type == nir_type::input || node.type == nir_type::output) {
    h5::write_dataset(group, "shape", node.shape.data(), {node.shape.size()});
  }
  for (const auto& spec : nir_parameters(node.type)) {
    const Eigen::MatrixXd& m = node.params.at(std::string(spec.name));
    // Eigen is column-major, HDF5 row-major.
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = m;
    const auto r = static_cast<hsize_t>(m.rows()), c = static_cast<hsize_t>(m.cols());
    h5::write_dataset(group, std::string(spec.name), rows.data(),
                      spec.name == "weight" ? h5::shape_t{r, c} : h5::shape_t{r});
  }
  write_metadata(group, node.metadata);
}

void write_edges(const H5::Group& graph, const std::vector<nir_edge>& edges) {
  std::vector<const char*> names;
  for (const auto& e : edges) {
    names.push_back(e.source.c_str());
    names.push_back(e.target.c_str());
  }
  const hsize_t shape[2] = {edges.size(), 2};
  const H5::StrType type = utf8_type();
  const H5::DataSet set = graph.createDataSet("edges", type, H5::DataSpace(2, shape));
  if (!edges.empty()) set.write(names.data(), type);
}

}  // namespace

void write_nir_group(const H5::Group& root, const nir_graph& graph) {
  write_string(root, "version", std::string(nir_write_version));
  const H5::Group node = create_ordered_group(root, "node");
  write_string(node, "type", "NIRGraph");
  const H5::Group nodes = create_ordered_group(node, "nodes");
  for (const auto& n : graph.nodes) write_node(nodes, n);
  write_edges(node, graph.edges);
  write_metadata(node, graph.metadata);
}

void write_nir(const std::filesystem::path& path, const nir_graph& graph,
               const std::vector<std::string>& inputs, const std::string& command) {
  validate_nir(graph);
  const std::string target = path.string();
  check_not_an_input(target, inputs, command);
  for (const auto& node : graph.nodes)
    if (node.name.find('/') != std::string::npos || node.name == "." || node.name == "..")
      throw input_error("NIR graph: node '" + node.name +
                        "': a name cannot contain '/' or be '.' or '..' (HDF5 paths)");
  const auto held = h5::lock();
  h5::atomic_file out(target);
  h5::guard(target, h5::writing, [&] { write_nir_group(out.file().openGroup("/"), graph); });
  out.commit();
}

}  // namespace chaoschip::io
