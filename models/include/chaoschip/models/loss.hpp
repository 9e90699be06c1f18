#pragma once
// Losses of the readout, as NEST's e-prop tests define them, and the error signal E that
// both learning rules propagate.
//   mse:           loss = 0.5 sum_t sum_k m_t (y - y*)^2,           E_t = m_t (y_t - y*_t)
//   cross_entropy: loss = -(1/W) sum_t m_t sum_k y*_k log softmax(y_t)_k (W = window length),
//                  E_t = m_t (softmax(y_t) - y*_t)   (NEST's error; with
//                  train.average_gradient = true the gradients are those of this mean loss)
#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/enum_names.hpp"

namespace chaoschip::models {

enum class loss_kind { mse, cross_entropy };
inline constexpr enum_table<loss_kind, 2> loss_names{
    {{loss_kind::mse, "mse"}, {loss_kind::cross_entropy, "cross_entropy"}}};
loss_kind parse_loss(std::string_view name);

struct readout_error {
  Eigen::MatrixXd error;  // [T, n_out], zero outside the learning window
  double loss = 0.0;
  bool correct = false;  // classification: argmax of the mean softmax in the window is the target's
  std::size_t window_length = 0;
};

readout_error compute_error(const Eigen::MatrixXd& y, const Eigen::MatrixXd& target,
                            const std::vector<std::uint8_t>& window, loss_kind kind);

}  // namespace chaoschip::models
