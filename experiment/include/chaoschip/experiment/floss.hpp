#pragma once
// One flossing epoch of a run's recurrent layer per [floss] (docs/flossing.md): windows
// of warmup + steps steps from random initial states, driven by the task's sequences, and
// the gradient of mean_i (lambda_i - target)^2 by the chosen variant.
#include <cstdint>

#include <Eigen/Core>

#include "chaoschip/io/config.hpp"
#include "chaoschip/models/task.hpp"

namespace chaoschip::experiment {

struct floss_epoch_result {
  double loss = 0.0;          // mean over the epoch's windows
  Eigen::VectorXd exponents;  // [k], 1/step, mean over the windows
  Eigen::MatrixXd grad_in;    // dL/dW_in [n_rec, n_in] (zero for the local variant)
  Eigen::MatrixXd grad_rec;   // dL/dW_rec [n_rec, n_rec]
};

// `w_in`, `w_rec`: the weights as the float dynamics see them (dequantised on a chip).
// `epoch` numbers the epochs of a run; it selects the random streams (floss.initial,
// floss.tangent) and the task sequences (index epoch * batch + b). `task` may be null (no
// input). Throws parameter_error for a variant the model does not support.
floss_epoch_result floss_epoch(const io::run_config& c, const Eigen::MatrixXd& w_in,
                               const Eigen::MatrixXd& w_rec, std::int64_t epoch,
                               models::task* task);

}  // namespace chaoschip::experiment
