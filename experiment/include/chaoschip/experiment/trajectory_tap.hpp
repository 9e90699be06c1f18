#pragma once
// The trajectory tap: a recorder that keeps, per step of one sequence, the readout's
// output (for the loss) and what the learning rules need from the recurrent layer (input
// and recurrent spikes as per-step lists, graded rates as [T, n] rows, the
// pseudo-derivative psi). Its buffers live for the whole run: no per-step or per-sequence
// allocation once they have grown.
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/network.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/models/eprop.hpp"
#include "chaoschip/models/lif.hpp"
#include "chaoschip/models/nir_lif.hpp"
#include "chaoschip/models/rate_ode.hpp"
#include "chaoschip/neuromorphic/fixed_lif.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"

namespace chaoschip::experiment {

struct trajectory_tap final : recorder {
  population_id in = 0, rec = 0, out = 0;
  bool full = false;              // also the learning rules' trajectory (else the readout only)
  double psi_scale = 1.0;         // chip kernels: pseudo-derivative per unit of the float v
  std::uint32_t input_delay = 0;  // chip synapses that delay the input by a step
  std::vector<double> y;          // readout, [T, n_out] row-major
  models::eprop_trajectory tr;    // x_events, z_events (or z), psi

  // Ready for a sequence of `steps` steps of `n`.
  void clear(Eigen::Index steps, const network& n);
  void record(std::int64_t step, const network& n) override;

 private:
  std::vector<std::uint32_t> x_prev_;     // input_delay: the previous step's input
  std::vector<std::uint32_t> x_current_;  // (scratch for the swap)
  Eigen::Index t_ = 0;
  // The recurrent model, resolved once per sequence rather than per step.
  const model_population<models::lif>* lif_ = nullptr;
  const model_population<models::nir_lif>* nir_lif_ = nullptr;
  const model_population<neuromorphic::loihi_lif>* loihi_ = nullptr;
  const model_population<neuromorphic::fixed_lif>* fixed_ = nullptr;
  const model_population<models::rate_ode>* ode_ = nullptr;
};

}  // namespace chaoschip::experiment
