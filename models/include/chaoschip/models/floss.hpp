#pragma once
// The exact ("bptt") gradient-flossing gradient of the rate map
//   h <- (1 - a) h + a (W phi(h) + W_in x_t),   D_t = (1 - a) I + a W diag(phi'(h_t)),
// through the trajectory and every QR of the window (Engelken 2023), in reverse mode. The
// QR's adjoint (reduced QR, full column rank; e.g. Walter & Lehmann 2018, as PyTorch):
//   A = QR:  A_bar = (Q_bar + Q copyltu(R R_bar^T - Q_bar^T Q)) R^-T,
// copyltu(X) = the symmetric matrix with X's lower triangle. docs/flossing.md has the rest.
#include "chaoschip/core/floss.hpp"
#include "chaoschip/models/activation.hpp"
#include "chaoschip/models/task.hpp"

namespace chaoschip::models {

struct rate_floss_problem {
  Eigen::MatrixXd w_rec;  // [n, n]
  Eigen::MatrixXd w_in;   // [n, n_in]
  double alpha = 1.0;
  activation phi = activation::tanh;
  row_matrix x;        // input per step [rows, n_in], cycled (row t mod rows); empty: none
  Eigen::VectorXd h0;  // initial state
  Eigen::MatrixXd q0;  // initial tangent vectors [n, k], orthonormal
  // false: hold the trajectory fixed (gradient through the QR chain and the Jacobians'
  // explicit weights only); true: the exact gradient.
  bool through_trajectory = true;
};

// Loss, exponents and dL/dW_rec, dL/dW_in over one window (warmup + steps steps).
floss_result floss_rate_bptt(const rate_floss_problem& p, const floss_options& o);

// The adjoint of the reduced QR A = QR for (Q_bar, R_bar); used above, exposed for tests.
Eigen::MatrixXd qr_adjoint(const Eigen::MatrixXd& q, const Eigen::MatrixXd& r,
                           const Eigen::MatrixXd& q_bar, const Eigen::MatrixXd& r_bar);

}  // namespace chaoschip::models
