#pragma once
// An imported NIR graph in the trainable shape (docs/nir.md, "Training an imported graph"):
//   Input -> Affine/Linear -> LIF (recurrent through an Affine/Linear) -> Affine/Linear
//   -> LI -> Output,  or  ... -> Affine/Linear -> Output (an instantaneous readout).
// Such a graph is lowered into the config path's network (plan.hpp: network_plan), so the
// trainer, e-prop and BPTT run it as they run a network of [network] keys. A graph that
// chaoschip exported carries its model and [neuron] keys as node metadata and comes back
// as that model; any other LIF layer runs as the registry's nir_lif.
#include <string>
#include <variant>

#include "chaoschip/experiment/graph.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/nir.hpp"

namespace chaoschip::experiment {

// The nodes of a graph in the trainable shape (readout: nullptr when w_out feeds the Output).
struct trainable_shape {
  const io::nir_node *input = nullptr, *w_in = nullptr, *recurrent = nullptr, *w_rec = nullptr,
                     *w_out = nullptr, *readout = nullptr, *output = nullptr;
};

// The graph's nodes in the trainable shape, or why it is not in it (the first thing found
// that does not fit, e.g. "CubaLIF recurrent layer 'lif1': no e-prop for it in this version").
std::variant<trainable_shape, std::string> match_trainable(const io::nir_graph& graph);

// The config a trainable graph runs under: `c` with network.n_in/n_rec/n_out,
// network.delay_rec and readout.tau (ms) from the graph; for a graph chaoschip exported
// (metadata chaoschip.model on the recurrent node), also network.model and [neuron] from
// its metadata, exactly. parameter_error naming the key for a value that does not fit.
io::run_config trainable_config(const io::run_config& c, const trainable_shape& shape);

// Whether the recurrent layer comes back as chaoschip's own model (its metadata).
bool has_chaoschip_model(const trainable_shape& shape);

// The network of a trainable graph under its config (trainable_config): weights from the
// weight nodes, e-prop's feedback drawn as make_initial_weights draws it, populations named
// after the nodes; the recurrent population chaoschip's model (metadata) or nir_lif with the
// graph's values on the graph's step (seconds).
network_plan trainable_network(const io::run_config& effective, const trainable_shape& shape,
                               const graph_plan& graph);

// The imported graph of `p` with weights `w` in place of its input and recurrent
// projections, its LIF layer the recurrent population (its Lyapunov spectrum when the layer
// runs as nir_lif: measure_graph_lyapunov).
graph_plan graph_with_weights(const plan& p, const io::weight_set& w);

}  // namespace chaoschip::experiment
