#pragma once
// Initial weights (network.init, docs/models.md): gaussian g N(0,1)/sqrt(fan_in), orthogonal
// (a Haar-random orthogonal matrix scaled by g), both drawn from a named random stream.
#include <Eigen/Core>

#include "chaoschip/core/random.hpp"

namespace chaoschip::models {

// rows x cols with entries gain * N(0,1) / sqrt(cols) (cols = fan-in).
Eigen::MatrixXd gaussian_weights(Eigen::Index rows, Eigen::Index cols, double gain,
                                 random_stream& rng);
// n x n Haar-random orthogonal matrix (QR of a Gaussian matrix, signs fixed by diag R),
// scaled by gain.
Eigen::MatrixXd orthogonal_weights(Eigen::Index n, double gain, random_stream& rng);

}  // namespace chaoschip::models
