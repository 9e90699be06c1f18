#pragma once
// Private to the NIR sources: how a rule reports a broken graph, and the shared helpers.
#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace chaoschip::io
