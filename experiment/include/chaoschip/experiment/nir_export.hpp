#pragma once
// A run's network as a NIR graph (`chaoschip export-nir`; docs/nir.md, "Exporting"). A
// network of [network] keys becomes input -> w_in -> recurrent (LIF, recurrent through
// w_rec) -> w_out -> readout (LI) -> output, with the keys NIR cannot express kept as
// `chaoschip.*` metadata so that chaoschip re-imports its own network exactly. The graph a
// NIR run simulated is exported as it is, with trained weights substituted when the run
// names the nodes that hold them.
#include <array>
#include <string>
#include <string_view>

#include "chaoschip/io/config.hpp"
#include "chaoschip/io/nir.hpp"
#include "chaoschip/io/run_file.hpp"

namespace chaoschip::experiment {

// Which weights of a run are exported: /network/initial or /network/final.
enum class export_weights { initial, final };
std::string_view to_string(export_weights which);

// Where an exported graph comes from (graph metadata chaoschip.source, .version, .weights).
struct export_origin {
  std::string source;   // the run file's name
  std::string version;  // chaoschip's version
  export_weights weights = export_weights::final;
};

// Root attributes of a run of an imported graph that was trained: the names of the graph's
// nodes holding w_in, w_rec and w_out, whose weights /network/<initial|final> then holds.
inline constexpr std::array<std::string_view, 3> trained_node_attributes = {"nir_w_in", "nir_w_rec",
                                                                            "nir_w_out"};

// The NIR graph of a config network (network.source = "config") with these weights:
// nodes input, w_in, recurrent, w_rec, w_out, readout (when readout.tau > 0), output.
// parameter_error naming network.model for a model NIR has no neuron for (not spiking).
io::nir_graph export_graph(const io::run_config& config, const io::weight_set& weights,
                           const export_origin& origin);

// The network of a run file as a NIR graph: export_graph of its config and weights, or the
// graph under /nir (with trained weights substituted, see trained_node_attributes).
// file_error naming the file and the missing group or dataset.
io::nir_graph export_run(const std::string& run_file, const export_origin& origin);

}  // namespace chaoschip::experiment
