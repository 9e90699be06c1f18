#pragma once
// Optimizers for weight matrices, one state slot per matrix. Weights are clipped to
// [w_min, w_max] after every step, as NEST's e-prop synapses do.
//   sgd:  u <- momentum u + g;  w <- w - eta u            (momentum 0: plain descent)
//   adam: m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
//         w <- w - eta sqrt(1 - b2^n) / (1 - b1^n) m / (sqrt(v) + eps)
//         (TensorFlow's epsilon convention, as NEST; powers by repeated multiplication)
#include <cstddef>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/enum_names.hpp"

namespace chaoschip {

enum class optimizer_kind { sgd, adam };
inline constexpr enum_table<optimizer_kind, 2> optimizer_names{
    {{optimizer_kind::sgd, "sgd"}, {optimizer_kind::adam, "adam"}}};

struct optimizer_settings {
  optimizer_kind kind = optimizer_kind::sgd;
  double eta = 1e-4;
  double momentum = 0.0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double w_min = -100.0, w_max = 100.0;
};

class optimizer {
 public:
  optimizer(optimizer_settings s, std::size_t slots);
  // One step of matrix `slot` with gradient g (the mean over the batch).
  void step(std::size_t slot, Eigen::MatrixXd& w, const Eigen::MatrixXd& g);
  const optimizer_settings& settings() const noexcept { return s_; }

  // What evolves between steps (moments; Adam's bias-correction powers): a checkpoint
  // saves it, and restoring it continues the optimizer bit for bit. m and v stay empty
  // until the slot's first step.
  struct slot_state {
    Eigen::MatrixXd m, v;
    double b1_power = 1.0, b2_power = 1.0;
  };
  const std::vector<slot_state>& state() const noexcept { return slots_; }
  // Throws error when the number of slots differs.
  void restore(std::vector<slot_state> state);

 private:
  optimizer_settings s_;
  std::vector<slot_state> slots_;
};

}  // namespace chaoschip
