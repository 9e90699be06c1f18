#include "chaoschip/models/floss.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <Eigen/QR>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

Eigen::MatrixXd qr_adjoint(const Eigen::MatrixXd& q, const Eigen::MatrixXd& r,
                           const Eigen::MatrixXd& q_bar, const Eigen::MatrixXd& r_bar) {
  const Eigen::MatrixXd m = r * r_bar.transpose() - q_bar.transpose() * q;
  Eigen::MatrixXd sym = m.triangularView<Eigen::Lower>();
  sym.triangularView<Eigen::StrictlyUpper>() = m.transpose().triangularView<Eigen::StrictlyUpper>();
  const Eigen::MatrixXd b = q_bar + q * sym;
  // b R^-T: solve R X^T = b^T.
  return r.triangularView<Eigen::Upper>().solve(b.transpose()).transpose();
}

floss_result floss_rate_bptt(const rate_floss_problem& p, const floss_options& o) {
  const Eigen::Index n = p.w_rec.rows(), k = static_cast<Eigen::Index>(o.k);
  if (p.q0.rows() != n || p.q0.cols() != k || p.h0.size() != n)
    throw error("floss_rate_bptt: h0 or q0 has the wrong shape");
  if (o.steps < 1) throw parameter_error("floss.steps", std::to_string(o.steps), ">= 1");
  const std::int64_t total = o.warmup + o.steps;
  const double a = p.alpha;
  const bool has_input = p.x.rows() > 0 && p.w_in.size() > 0;
  auto x_at = [&](std::int64_t s) { return p.x.row(s % p.x.rows()).transpose(); };

  // Forward: states h_s, frames Q_s (s = 0..total), R_s (s = 0..total-1).
  std::vector<Eigen::VectorXd> h(static_cast<std::size_t>(total + 1));
  std::vector<Eigen::MatrixXd> q(static_cast<std::size_t>(total + 1)),
      r(static_cast<std::size_t>(total));
  h[0] = p.h0;
  q[0] = p.q0;
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(n, k);
  const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(n, k);
  Eigen::VectorXd sums = Eigen::VectorXd::Zero(k);
  for (std::int64_t s = 0; s < total; ++s) {
    const auto i = static_cast<std::size_t>(s);
    const Eigen::ArrayXd d = activation_derivative(p.phi, h[i].array());
    const Eigen::MatrixXd m = (1.0 - a) * q[i] + a * p.w_rec * (d.matrix().asDiagonal() * q[i]);
    Eigen::VectorXd drive = p.w_rec * apply_activation(p.phi, h[i].array()).matrix();
    if (has_input) drive += p.w_in * x_at(s);
    h[i + 1] = (1.0 - a) * h[i] + a * drive;
    qr.compute(m);
    q[i + 1] = identity;
    qr.householderQ().applyThisOnTheLeft(q[i + 1]);
    r[i] = qr.matrixQR().topRows(k).triangularView<Eigen::Upper>();
    if (s >= o.warmup)
      for (Eigen::Index j = 0; j < k; ++j) sums[j] += std::log(std::abs(r[i](j, j)));
  }
  floss_result out;
  out.exponents = sums / static_cast<double>(o.steps);
  out.loss = (out.exponents.array() - o.target).square().mean();
  const Eigen::VectorXd c = floss_weights(out.exponents, o.target, o.steps);

  // Backward.
  out.grad_rec = Eigen::MatrixXd::Zero(n, n);
  out.grad_in = Eigen::MatrixXd::Zero(n, p.w_in.cols());
  Eigen::VectorXd h_bar = Eigen::VectorXd::Zero(n);     // dL/dh_{s+1}
  Eigen::MatrixXd q_bar = Eigen::MatrixXd::Zero(n, k);  // dL/dQ_{s+1}
  for (std::int64_t s = total - 1; s >= 0; --s) {
    const auto i = static_cast<std::size_t>(s);
    Eigen::MatrixXd r_bar = Eigen::MatrixXd::Zero(k, k);
    if (s >= o.warmup)
      for (Eigen::Index j = 0; j < k; ++j) r_bar(j, j) = c[j] / r[i](j, j);
    const Eigen::MatrixXd m_bar = qr_adjoint(q[i + 1], r[i], q_bar, r_bar);
    // M_s = (1 - a) Q_s + a W diag(d_s) Q_s.
    const Eigen::ArrayXd d = activation_derivative(p.phi, h[i].array());
    const Eigen::MatrixXd dq = d.matrix().asDiagonal() * q[i];
    const Eigen::MatrixXd wt_m = p.w_rec.transpose() * m_bar;
    out.grad_rec.noalias() += a * m_bar * dq.transpose();
    const Eigen::VectorXd d_bar = a * (q[i].array() * wt_m.array()).rowwise().sum().matrix();
    q_bar = (1.0 - a) * m_bar + a * d.matrix().asDiagonal() * wt_m;
    // h_{s+1} = (1 - a) h_s + a (W phi(h_s) + W_in x_s).
    const Eigen::VectorXd rate = apply_activation(p.phi, h[i].array()).matrix();
    out.grad_rec.noalias() += a * h_bar * rate.transpose();
    if (has_input) out.grad_in.noalias() += a * h_bar * x_at(s).transpose();
    if (!p.through_trajectory) continue;
    const Eigen::VectorXd wt_h = p.w_rec.transpose() * h_bar;
    h_bar = (1.0 - a) * h_bar + a * (d * wt_h.array()).matrix() +
            (activation_second_derivative(p.phi, h[i].array()) * d_bar.array()).matrix();
  }
  return out;
}

}  // namespace chaoschip::models
