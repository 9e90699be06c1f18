#pragma once
// Backpropagation through time for the networks e-prop trains: the exact gradient of the
// same loss through the unrolled dynamics, the spike replaced by its pseudo-derivative.
// The backward pass runs on a recorded trajectory, so it serves both the engine's hard
// spikes (surrogate gradient) and a smooth relaxation (then it is the exact gradient, as
// the finite-difference tests check).
//
// LIF (delta synapses, reset by subtraction, interval-local NEST alignment):
//   v_j = alpha v_{j-1} + c_z (W_in x_j + W_rec z_{j-1}) - v_th z_{j-1},  z_j = spike(v_j)
//   y_j = alpha_out y_{j-1} + c_out W_out z_j,  loss = 0.5 sum_j m_j |y_j - y*_j|^2
//         + 0.5 c_reg sum_r (n_r / T - f_target)^2
// Rate (leaky map): h_j = (1 - a) h_{j-1} + a (W_rec r_{j-1} + W_in x_j), r_j = phi(h_j),
//   y_j = alpha_out y_{j-1} + c_out W_out r_j.
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/models/eprop.hpp"

namespace chaoschip::models {

struct bptt_settings {
  double alpha = 0.0;      // LIF: membrane decay; rate: 1 - leak a
  double c_z = 0.0;        // LIF: input gain; rate: leak a
  double v_th = 0.0;       // LIF reset (ignored for rate)
  double alpha_out = 0.0;  // readout
  double c_out = 0.0;
  double c_reg = 0.0;
  double f_target = 0.0;  // per step
  // Propagate through the reset term -v_th z_{j-1} too. Off by default, as in Bellec et
  // al.'s code (the reset is a stop-gradient), which makes BPTT and e-prop agree exactly
  // without recurrent weights.
  bool reset_gradient = false;
  bool average_gradient = false;
  // ALIF: a_j = rho a_{j-1} + z_{j-1}, threshold v_th + beta a_j (empty beta: LIF).
  double rho = 0.0;
  Eigen::VectorXd beta;
};

// `tr.psi` holds dz/dv (LIF) or phi'(h) (rate) per step; `tr.z` the spikes (LIF) or rates.
// `error`: dLoss/dy per step as models/loss.hpp computes it (E), zero outside the window.
eprop_gradients bptt_gradients(const eprop_trajectory& tr, const Eigen::MatrixXd& error,
                               std::size_t window_length, const Eigen::MatrixXd& w_rec,
                               const Eigen::MatrixXd& w_out, const bptt_settings& s, bool spiking);

}  // namespace chaoschip::models
