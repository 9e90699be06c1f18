#include "chaoschip/models/init.hpp"

#include <cmath>

#include <Eigen/QR>

namespace chaoschip::models {

Eigen::MatrixXd gaussian_weights(Eigen::Index rows, Eigen::Index cols, double gain,
                                 random_stream& rng) {
  Eigen::MatrixXd w(rows, cols);
  const double scale = gain / std::sqrt(static_cast<double>(cols));
  // Row by row ([post, pre]), so the numbers do not depend on the storage order.
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) w(i, j) = scale * rng.normal();
  return w;
}

Eigen::MatrixXd orthogonal_weights(Eigen::Index n, double gain, random_stream& rng) {
  const Eigen::MatrixXd a = gaussian_weights(n, n, 1.0, rng);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(n, n);
  const Eigen::MatrixXd r = qr.matrixQR().triangularView<Eigen::Upper>();
  for (Eigen::Index j = 0; j < n; ++j)
    if (r(j, j) < 0) q.col(j) = -q.col(j);  // makes the distribution Haar (Mezzadri 2007)
  return gain * q;
}

}  // namespace chaoschip::models
