#pragma once
// Gradient flossing (Engelken, NeurIPS 2023): push the first k Lyapunov exponents, estimated
// over a short window with QR every step, towards a target. L = mean_i (l_i - target)^2.
// This header holds what is model-agnostic: the window options and result, and the
// biologically plausible "local" variant (docs/flossing.md derives it):
//
//   per step s, M_s = D_s Q_s = Q_{s+1} R_s; holding the state and the previous frame Q_s
//   fixed, d log|R_s,ii| / dW = post(q_{s+1,i}) (pre_s R_s^-1 e_i)^T, where D q = A q +
//   C W (S q), pre_s = S Q_s and post = C^T (population::weight_factor_*). Summed online
//   per exponent and weighted by c_i = 2 (l_i - target) / (k T) at the end of the window.
//
// The exact ("bptt") gradient through the trajectory and the QR chain is model-specific
// (models/floss.hpp for rate networks).
#include <cstdint>
#include <string_view>

#include <Eigen/Core>

#include "chaoschip/core/lyapunov.hpp"

namespace chaoschip {

struct floss_options {
  std::size_t k = 1;         // exponents regularised
  double target = 0.0;       // their target, 1/step
  std::int64_t warmup = 15;  // window steps before counting (Engelken: 15 of 55)
  std::int64_t steps = 40;   // counted steps
};

struct floss_result {
  double loss = 0.0;
  Eigen::VectorXd exponents;  // [k], 1/step, in index order (not sorted)
  Eigen::MatrixXd grad_rec;   // dL/dW_rec, [post, pre]
  Eigen::MatrixXd grad_in;    // dL/dW_in, [post, pre] (empty: the variant leaves W_in alone)
};

// n x k orthonormal columns from a Gaussian matrix (Householder QR), stream (seed, name, index).
Eigen::MatrixXd random_orthonormal(Eigen::Index n, Eigen::Index k, std::uint64_t seed,
                                   std::string_view name, std::uint64_t index = 0);

// c_i = dL/dl_i / T for L = mean_i (l_i - target)^2 over T counted steps.
Eigen::VectorXd floss_weights(const Eigen::VectorXd& exponents, double target, std::int64_t steps);

// The local variant over one window of `pop` from its current state (it is advanced by
// warmup + steps steps), tangent vectors starting at q0 (tangent_dim x k, orthonormal).
// The population must expose its weight factors (rate, rate_ode, lif, alif).
floss_result floss_local(population& pop, const projection* recurrent,
                         population_tangent_system::input_fn external, const Eigen::MatrixXd& q0,
                         const floss_options& options);

}  // namespace chaoschip
