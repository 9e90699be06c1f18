#pragma once
// The typed plan of a run: what a validated config (io::run_config) lowers to before
// anything is built. The network description (populations with their model and
// parameters, projections with weights and delays, input, readout), the chip profile
// resolved once with its backend, and the learning spec (rule, settings, optimizers,
// flossing schedule, Lyapunov requests). build(plan) (factory.hpp) makes the network from
// it; the runners (trainer.hpp, lyapunov.hpp, floss.hpp) read it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/optimizer.hpp"
#include "chaoschip/experiment/graph.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"
#include "chaoschip/models/registry.hpp"
#include "chaoschip/models/task.hpp"
#include "chaoschip/neuromorphic/backend.hpp"
#include "chaoschip/neuromorphic/mapping.hpp"
#include "chaoschip/neuromorphic/profile.hpp"

namespace chaoschip::experiment {

// The chip a run's recurrent layer runs on: the profile resolved once, its backend, and
// what the weight mapping needs from the float network.
struct chip_plan {
  neuromorphic::chip_profile profile;
  std::shared_ptr<const neuromorphic::backend> backend;
  neuromorphic::float_lif neuron;  // the float LIF the mapping starts from
  double gamma = 0.3;              // the learning rules' pseudo-derivative height
  std::uint64_t seed = 1;          // the "chip.weights" and "chip.updates" streams
};

// A projection: weights [post, pre] and the delay it adds, in steps.
struct projection_plan {
  Eigen::MatrixXd weights;
  std::uint32_t delay = 0;
};

// Populations "input" (spike source, n_in), "recurrent" (a registry model with its values,
// or the chip kernel's LIF), "readout" (leaky, tau); projections input -> recurrent,
// recurrent -> recurrent, recurrent -> readout (off-chip, float). An imported NIR graph in
// the trainable shape (trainable_graph.hpp) names them after its nodes.
struct network_plan {
  std::size_t n_in = 0, n_rec = 0, n_out = 0;
  double dt = 1.0;    // ms: the simulation step, the readout's and the task's
  std::string model;  // network.model
  // The recurrent population: lowered once (from network.model and [neuron], or from a
  // graph); the factory, the learning constants and the Lyapunov layer build it from here.
  models::model_kind recurrent_model = models::model_kind::lif;
  models::parameter_values recurrent_values;
  double recurrent_dt = 1.0;  // the step in the model's time unit (ms; s for NIR models)
  std::string input_name = "input", recurrent_name = "recurrent", readout_name = "readout";
  bool sparse = false;    // CSR projections (network.connectivity = "sparse")
  bool autapses = false;  // recurrent self-connections kept through learning
  double readout_tau = 0.0;
  projection_plan in_rec, rec_rec, rec_out;
  Eigen::MatrixXd feedback;  // e-prop's random feedback B [n_rec, n_out]
};

// A NIR graph lowered into the network above: the graph, and the names of the weight nodes
// holding w_in [n_rec, n_in], w_rec [n_rec, n_rec] and w_out [n_out, n_rec].
struct imported_graph {
  graph_plan graph;
  std::string w_in, w_rec, w_out;
  bool chaoschip_model = false;  // the recurrent layer is chaoschip's own (its metadata)
};

enum class rule_kind { none, eprop, bptt };

// When flossing runs (docs/flossing.md): pre_epochs before training, then `epochs` after
// every `every` training iterations.
struct floss_schedule {
  bool enabled = false;
  std::int64_t pre_epochs = 0, every = 0, epochs = 0;
};

struct learning_plan {
  rule_kind rule = rule_kind::none;
  bool nest_variant = false;        // train.variant = "nest_bsshslm_2020"
  bool symmetric_feedback = false;  // train.feedback = "symmetric"
  std::int64_t iterations = 1;      // training iterations (>= 1: a run simulates once)
  std::int64_t batch = 1;           // sequences per iteration
  bool has_target = true;           // the task has targets (task.name != "none")
  optimizer_settings train_optimizer, floss_optimizer;
  floss_schedule floss;
  std::vector<std::string> lyapunov_when;  // spectra to measure: "before", "after"
  bool training() const noexcept { return rule != rule_kind::none; }
};

struct plan {
  io::run_config config;  // the validated config the plan was lowered from
  std::string config_toml;
  network_plan network;
  chip_plan chip;
  learning_plan learning;
  std::shared_ptr<models::task> task;
  // network.source = "nir" (a graph that is not in the trainable shape): the graph's
  // populations and projections, simulated by run_graph (graph_runner.hpp) instead.
  std::shared_ptr<const graph_plan> graph;
  // network.source = "nir", a graph in the trainable shape (trainable_graph.hpp), lowered
  // into `network` and run by the trainer: the graph (kept in the run file) and the nodes
  // that hold w_in, w_rec and w_out.
  std::shared_ptr<const imported_graph> imported;
};

// Checks what parsing cannot (what this build implements on the chosen kernel), throwing
// parameter_error naming the key. The second form resolves the chip profile itself.
void check_supported(const io::run_config& config, const neuromorphic::backend& backend);
void check_supported(const io::run_config& config);

// The chip of a config: the profile resolved once, its backend.
chip_plan chip_plan_of(const io::run_config& config);
// The network description of a config with these initial weights.
network_plan network_plan_of(const io::run_config& config, const io::weight_set& weights);
// Validates (check_supported) and lowers a config: initial weights (make_initial_weights),
// the task (make_task), the chip resolved once, the learning spec.
plan lower(const io::run_config& config);

}  // namespace chaoschip::experiment
