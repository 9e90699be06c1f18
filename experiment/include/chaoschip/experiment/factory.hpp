#pragma once
// The one factory: the network of a plan (build), and the pieces lowering needs from a
// config (initial weights, the task, the float recurrent population, projections).
#include <memory>
#include <optional>

#include <Eigen/Core>

#include "chaoschip/core/network.hpp"
#include "chaoschip/experiment/model_binding.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"
#include "chaoschip/models/task.hpp"
#include "chaoschip/neuromorphic/backend.hpp"
#include "chaoschip/neuromorphic/mapping.hpp"

namespace chaoschip::experiment {

// The network of a run. Populations "input" (spike source), "recurrent" (the model),
// "readout" (leaky readout); weights [post, pre].
struct built_network {
  network net;
  population_id input = 0, recurrent = 0, readout = 0;
  std::size_t in_rec = 0, rec_rec = 0, rec_out = 0;  // connection indices
  // The chip's integer parameters and weights when the profile quantises weights.
  std::optional<neuromorphic::chip_mapping> chip;
};

// The plan's recurrent population on the float kernel (its registry model and values).
std::unique_ptr<population> make_recurrent(const network_plan& network);
// Builds the plan's network on its chip backend (the weights mapped when the profile
// quantises them).
built_network build(const plan& p);
// parameter_error unless the backend can run network.model (integer kernels: LIF only).
void check_recurrent_model(const io::run_config& config, const neuromorphic::backend& backend);
void check_recurrent_model(models::model_kind model, const neuromorphic::backend& backend);
// The network of `config` with `weights`, its chip profile resolved here (no checks of
// what training supports).
built_network build_network(const io::run_config& config, const io::weight_set& weights);

// Initial weights per network.init (named random streams "weights.in", "weights.rec",
// "weights.out", "weights.feedback" of the master seed, or the case file).
io::weight_set make_initial_weights(const io::run_config& config);
// e-prop's random feedback B [n_rec, n_out], stream "weights.feedback" of `seed`.
Eigen::MatrixXd make_feedback(std::uint64_t seed, std::int64_t n_rec, std::int64_t n_out);
// The task per [task] (sine, none, generated tasks, file). Without `require_target` a
// case file may lack its target (simulation only).
std::unique_ptr<models::task> make_task(const io::run_config& config, bool require_target = true);
// A projection per network.connectivity (dense or CSR).
std::unique_ptr<projection> make_projection(const io::run_config& config, const Eigen::MatrixXd& w);
// The float LIF neuron a chip mapping starts from.
neuromorphic::float_lif float_lif_of(const io::run_config& config);

// The /chip/ parameters and integer weights of a mapping, for the run file (the exponent
// named as the backend names it).
io::chip_data chip_data_of(const neuromorphic::chip_mapping& mapping,
                           const neuromorphic::backend& backend);
io::chip_data chip_data_of(const neuromorphic::chip_mapping& mapping,
                           const neuromorphic::chip_profile& profile);

}  // namespace chaoschip::experiment
