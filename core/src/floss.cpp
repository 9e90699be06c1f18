#include "chaoschip/core/floss.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <Eigen/QR>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/random.hpp"

namespace chaoschip {

Eigen::MatrixXd random_orthonormal(Eigen::Index n, Eigen::Index k, std::uint64_t seed,
                                   std::string_view name, std::uint64_t index) {
  random_stream rng(seed, name, index);
  Eigen::MatrixXd q(n, k);
  for (Eigen::Index j = 0; j < k; ++j)
    for (Eigen::Index i = 0; i < n; ++i) q(i, j) = rng.normal();
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(q);
  q = Eigen::MatrixXd::Identity(n, k);
  qr.householderQ().applyThisOnTheLeft(q);
  return q;
}

Eigen::VectorXd floss_weights(const Eigen::VectorXd& l, double target, std::int64_t steps) {
  return 2.0 * (l.array() - target) / (static_cast<double>(l.size()) * static_cast<double>(steps));
}

floss_result floss_local(population& pop, const projection* recurrent,
                         population_tangent_system::input_fn external, const Eigen::MatrixXd& q0,
                         const floss_options& o) {
  if (!pop.has_weight_factors())
    throw error("local flossing needs the Jacobian's weight factors, which the " +
                std::string(pop.model()) + " population does not expose");
  const auto n = static_cast<Eigen::Index>(pop.size());
  const auto k = static_cast<Eigen::Index>(o.k);
  if (q0.rows() != static_cast<Eigen::Index>(pop.tangent_dim()) || q0.cols() != k)
    throw error("floss_local: q0 has the wrong shape");
  if (o.steps < 1) throw parameter_error("floss.steps", std::to_string(o.steps), ">= 1");
  population_tangent_system sys(pop, recurrent, std::move(external));
  Eigen::MatrixXd q = q0, m(q0.rows(), k), pre(n, k), post(n, k);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(q0.rows(), k);
  std::vector<Eigen::MatrixXd> per_exponent(static_cast<std::size_t>(k),
                                            Eigen::MatrixXd::Zero(n, n));
  Eigen::VectorXd sums = Eigen::VectorXd::Zero(k);
  const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(q0.rows(), k);
  for (std::int64_t s = 0; s < o.warmup + o.steps; ++s) {
    const bool counted = s >= o.warmup;
    if (counted) pop.weight_factor_pre(q, pre);  // S Q_s at the state before the step
    m = q;
    // Separable models: C^T (post) is taken at the state before the step too, so the
    // trajectory advances only after it. ODE models: post does not depend on the state.
    const bool separate = sys.separable();
    if (separate)
      sys.apply(m);
    else
      sys.step(m);
    qr.compute(m);
    q = identity;
    qr.householderQ().applyThisOnTheLeft(q);
    if (!counted) {
      if (separate) sys.advance();
      continue;
    }
    const auto r = qr.matrixQR().topRows(k).triangularView<Eigen::Upper>();
    for (Eigen::Index i = 0; i < k; ++i) {
      const double rii = qr.matrixQR()(i, i);
      if (!std::isfinite(rii) || rii == 0.0)
        throw numerical_error("flossing window", s,
                              "degenerate tangent vectors (R_ii = " + std::to_string(rii) + ")");
      sums[i] += std::log(std::abs(rii));
    }
    // pre R^-1 (n x k): column i is the presynaptic factor of exponent i.
    const Eigen::MatrixXd a = r.transpose().solve(pre.transpose()).transpose();
    pop.weight_factor_post(q, post);
    for (Eigen::Index i = 0; i < k; ++i)
      per_exponent[static_cast<std::size_t>(i)].noalias() += post.col(i) * a.col(i).transpose();
    if (separate) sys.advance();
  }
  floss_result out;
  out.exponents = sums / static_cast<double>(o.steps);
  out.loss = (out.exponents.array() - o.target).square().mean();
  const Eigen::VectorXd c = floss_weights(out.exponents, o.target, o.steps);
  out.grad_rec = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < k; ++i)
    out.grad_rec += c[i] * per_exponent[static_cast<std::size_t>(i)];
  return out;
}

}  // namespace chaoschip
