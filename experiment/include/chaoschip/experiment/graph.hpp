#pragma once
// A network given as a NIR graph (network.source = "nir"), lowered into populations and
// projections: every neuron node becomes a population of its registry model with NIR's
// parameters per neuron; the weight nodes between two neuron nodes (Affine, Linear, Scale,
// Delay) compose into one projection; an edge that closes a cycle delivers one step later;
// Affine biases become constant input currents. docs/nir.md, "Simulating a graph".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/network.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/nir.hpp"
#include "chaoschip/models/registry.hpp"
#include "chaoschip/neuromorphic/backend.hpp"

namespace chaoschip::experiment {

// A population of the graph: the graph's Input (a spike source) or a neuron node.
struct graph_population {
  std::string name;  // the NIR node's name
  bool input = false;
  models::model_kind model = models::model_kind::li;  // neuron nodes
  models::parameter_values values;                    // NIR's parameters, per neuron
  std::size_t n = 0;
};

// Weights [post, pre] from populations[source] to populations[target], arriving `delay`
// steps after the source's step.
struct graph_projection {
  std::size_t source = 0, target = 0;
  Eigen::MatrixXd weights;
  std::uint32_t delay = 0;
};

struct graph_plan {
  io::nir_graph graph;                        // as read (the run file keeps it)
  double dt = 1e-3;                           // s (nir.dt)
  std::vector<graph_population> populations;  // in update order: the Input first
  std::vector<graph_projection> projections;
  std::vector<std::pair<std::size_t, Eigen::VectorXd>> biases;  // constant input, by target
  std::size_t input = 0;                                        // the Input population
  std::size_t n_out = 0;  // width of what the Output nodes receive
  // The population with a projection onto itself (Lyapunov spectra): nir.recurrent, or
  // the only one there is.
  std::optional<std::size_t> recurrent;
};

// Lowers a validated graph under [nir] (integrator, reset, dt, recurrent). input_error
// naming the node for what cannot be simulated (several Input nodes, none, a Threshold
// node, a Delay with per-neuron delays, a cycle of weight nodes alone).
graph_plan lower_graph(io::nir_graph graph, const io::nir_config& options);

// The network of a graph plan: populations named after their nodes, a constant source
// "bias" when the graph has biases. ids[i] is populations[i]'s id.
struct graph_network {
  network net;
  std::vector<population_id> ids;
  population_id input = 0;
  // On a chip profile (the chip form below): per population, whether its state is the
  // chip's integers; the float weights the chip's codes stand for, per plan projection and
  // bias (what spectra use); each population's mapping (sigma, integer parameters).
  std::vector<bool> integer_state;
  std::vector<Eigen::MatrixXd> dequantised;
  std::vector<Eigen::VectorXd> dequantised_biases;
  std::vector<neuromorphic::graph_mapping> mappings;
};
graph_network build_graph(const graph_plan& plan);
// On a chip: every neuron population and the projections into it through the kernel's
// backend (make_graph_layer); docs/nir.md, "Graphs on a chip". `seed`: the "chip.weights"
// stream for stochastic rounding.
graph_network build_graph(const graph_plan& plan, const neuromorphic::backend& chip,
                          std::uint64_t seed);
// NIR's LIF or CubaLIF node as the kernels map it (its per-step decays from nir.integrator);
// other nodes with lif = false.
neuromorphic::graph_neurons graph_neurons_of(const graph_population& p, double dt);
// The plan with the float weights a chip run's codes stand for (Lyapunov spectra).
graph_plan dequantised_plan(const graph_plan& plan, const graph_network& built);

}  // namespace chaoschip::experiment
