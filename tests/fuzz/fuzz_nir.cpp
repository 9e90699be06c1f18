// NIR graphs as `chaoschip info GRAPH.nir` reads them: HDF5 bytes as a file; the summary
// (read, flatten, validate), then the round trip: a graph that reads must write, and read
// back with the same nodes, parameters (bit for bit) and edges.
#include <cstdint>
#include <cstring>

#include "chaoschip/io/nir.hpp"
#include "fuzz_support.hpp"

namespace {

bool same(const chaoschip::io::nir_graph& a, const chaoschip::io::nir_graph& b) {
  if (a.nodes.size() != b.nodes.size() || a.edges.size() != b.edges.size()) return false;
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const auto &x = a.nodes[i], &y = b.nodes[i];
    if (x.name != y.name || x.type != y.type || x.shape != y.shape || x.metadata != y.metadata ||
        x.params.size() != y.params.size())
      return false;
    for (const auto& [name, m] : x.params) {
      const auto it = y.params.find(name);
      if (it == y.params.end() || it->second.rows() != m.rows() || it->second.cols() != m.cols() ||
          std::memcmp(m.data(), it->second.data(), sizeof(double) * m.size()) != 0)
        return false;
    }
  }
  for (std::size_t i = 0; i < a.edges.size(); ++i)
    if (a.edges[i].source != b.edges[i].source || a.edges[i].target != b.edges[i].target)
      return false;
  return a.metadata == b.metadata;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace chaoschip;
  static fuzz::scratch_file file(".nir");
  static fuzz::scratch_file copy(".copy.nir");
  const std::string& path = file.write(data, size);
  fuzz::accepts("summarize_nir_file", [&] { io::summarize_nir_file(path); });
  io::nir_graph graph;
  if (!fuzz::accepts("read_nir", [&] { graph = io::read_nir(path); })) return 0;
  // Names HDF5 cannot hold as written (a '/' is impossible in a file read) are refused.
  if (!fuzz::accepts("write_nir", [&] { io::write_nir(copy.path(), graph); }))
    fuzz::finding("a graph that was read could not be written");
  io::nir_graph back;
  if (!fuzz::accepts("read_nir (copy)", [&] { back = io::read_nir(copy.path()); }))
    fuzz::finding("a written graph could not be read back");
  if (!same(graph, back)) fuzz::finding("read -> write -> read changed the graph");
  return 0;
}
