#include "chaoschip/models/loss.hpp"

#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

loss_kind parse_loss(std::string_view name) {
  return parse_name(loss_names, name, "readout.loss");
}

readout_error compute_error(const Eigen::MatrixXd& y, const Eigen::MatrixXd& target,
                            const std::vector<std::uint8_t>& window, loss_kind kind) {
  const Eigen::Index T = y.rows();
  if (target.rows() != T || target.cols() != y.cols() ||
      static_cast<Eigen::Index>(window.size()) != T)
    throw error("compute_error: readout, target and window disagree in shape");
  readout_error r;
  r.error = Eigen::MatrixXd::Zero(T, y.cols());
  Eigen::RowVectorXd mean_prob = Eigen::RowVectorXd::Zero(y.cols()),
                     mean_target = Eigen::RowVectorXd::Zero(y.cols());
  for (Eigen::Index t = 0; t < T; ++t) {
    if (!window[static_cast<std::size_t>(t)]) continue;
    ++r.window_length;
    if (kind == loss_kind::mse) {
      r.error.row(t) = y.row(t) - target.row(t);
      r.loss += 0.5 * r.error.row(t).squaredNorm();
    } else {
      const double m = y.row(t).maxCoeff();  // stable softmax
      const Eigen::RowVectorXd e = (y.row(t).array() - m).exp().matrix();
      const double sum = e.sum();
      const Eigen::RowVectorXd p = e / sum;
      r.error.row(t) = p - target.row(t);
      r.loss -= (target.row(t).array() * (y.row(t).array() - m - std::log(sum))).sum();
      mean_prob += p;
      mean_target += target.row(t);
    }
  }
  if (kind == loss_kind::cross_entropy && r.window_length > 0) {
    r.loss /= static_cast<double>(r.window_length);
    Eigen::Index a = 0, b = 0;
    mean_prob.maxCoeff(&a);
    mean_target.maxCoeff(&b);
    r.correct = a == b;
  }
  return r;
}

}  // namespace chaoschip::models
