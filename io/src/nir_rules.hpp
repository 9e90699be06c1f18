#pragma once
// Private to the NIR sources: how a rule reports a broken graph, and the shared helpers.
#include <cstdint>
#include <string>
#include <vector>

#include <H5Cpp.h>

#include "chaoschip/io/nir.hpp"

namespace chaoschip::io {

// Reports a broken graph: a file_error naming `file` for a graph read from a file, an
// input_error "NIR graph: ..." for one built in code (file empty).
struct nir_fail {
  std::string file;
  [[noreturn]] void operator()(const std::string& message) const;
};

// Every rule of docs/nir.md ("Validation") on a flat graph.
void validate_nir(const nir_graph& graph, const nir_fail& fail);

// "Input, Output, Affine, ..." for messages.
std::string supported_nir_types();

// "[2, 3]"
std::string format_nir_shape(const std::vector<std::int64_t>& shape);

// A graph in NIR's layout inside `root` (`version`, `node/...`): a .nir file's root, or a
// run file's /nir group (the graph a run simulated). The caller holds the HDF5 lock and
// guards the calls. Reading flattens and validates as read_nir does.
void write_nir_group(const H5::Group& root, const nir_graph& graph);
nir_graph read_nir_group(const std::string& file, const H5::Group& root);

}  // namespace chaoschip::io
