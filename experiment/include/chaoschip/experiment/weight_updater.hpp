#pragma once
// The weight updater: one optimizer step of a run's input and recurrent weights, on the
// float weights (the float64 kernel with float weights), or on the chip's codes through
// the backend's update grid (chips.md, "Low-precision learning"): the optimizer's step on
// the float weights the codes stand for, rounded onto the grid with the profile's
// update_rounding and clipped to the code range; with update_mode = "shadow" a float64
// copy takes the steps and is re-quantised whole.
#include <array>
#include <cstdint>

#include <Eigen/Core>

#include "chaoschip/core/optimizer.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"

namespace chaoschip::experiment {

class weight_updater {
 public:
  weight_updater(const plan& p, built_network& b);
  // One step of w_in (slot 0) and w_rec (slot 1; its diagonal kept at zero without
  // autapses) with gradients g_in, g_rec.
  void step_recurrent(optimizer& o, const Eigen::MatrixXd& g_in, const Eigen::MatrixXd& g_rec);
  // One float step of a projection (in place when dense).
  static void step_float(optimizer& o, std::size_t slot, projection& p, const Eigen::MatrixXd& g,
                         bool no_diag);
  // The weights the float dynamics see: on a chip, the codes times their scale.
  Eigen::MatrixXd float_in() const;
  Eigen::MatrixXd float_rec() const;

  // What checkpoints save and restore.
  std::array<Eigen::MatrixXd, 2>* shadow() noexcept { return shadowed_ ? &shadow_ : nullptr; }
  neuromorphic::stochastic_source& updates() noexcept { return updates_; }
  std::int64_t& chip_updates() noexcept { return chip_updates_; }

 private:
  void chip_step(optimizer& o, std::size_t slot, projection& p, neuromorphic::chip_weights& cw,
                 const Eigen::MatrixXd& g, bool no_diag);
  const neuromorphic::backend& backend_;
  built_network& b_;
  projection& in_;
  projection& rec_;
  bool no_diag_;
  bool shadowed_;
  std::array<Eigen::MatrixXd, 2> shadow_;  // w_in, w_rec: the float weights before mapping
  neuromorphic::stochastic_source updates_;
  std::int64_t chip_updates_ = 0;
};

}  // namespace chaoschip::experiment
