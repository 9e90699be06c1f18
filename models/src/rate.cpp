#include "chaoschip/models/rate.hpp"

#include <cmath>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

rate::rate(const parameters& p, double) : p_(p) {
  if (!(p.alpha > 0.0 && p.alpha <= 1.0))
    throw parameter_error("neuron.alpha", std::to_string(p.alpha), "a number in (0, 1]");
}

rate::state rate::make_state(std::size_t n) const {
  const auto m = static_cast<Eigen::Index>(n);
  state s{Eigen::ArrayXd::Zero(m), Eigen::VectorXd::Zero(m)};
  s.r = apply_activation(p_.phi, s.h).matrix();
  return s;
}

void rate::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
  s.h = (1.0 - p_.alpha) * s.h + p_.alpha * input.array();
  s.r = apply_activation(p_.phi, s.h).matrix();
}

void rate::jacobian_apply(const state& s, const projection* w,
                          Eigen::Ref<Eigen::MatrixXd> q) const {
  const Eigen::ArrayXd d = activation_derivative(p_.phi, s.h);
  Eigen::MatrixXd scaled = d.matrix().asDiagonal() * q;
  q *= (1.0 - p_.alpha);
  if (w) {
    Eigen::MatrixXd wq(q.rows(), q.cols());
    w->apply(scaled, wq);
    q += p_.alpha * wq;
  }
}

void rate::weight_factor_pre(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& q,
                             Eigen::Ref<Eigen::MatrixXd> pre) const {
  pre = activation_derivative(p_.phi, s.h).matrix().asDiagonal() * q;
}

void rate::weight_factor_post(const state&, const Eigen::Ref<const Eigen::MatrixXd>& m,
                              Eigen::Ref<Eigen::MatrixXd> post) const {
  post = p_.alpha * m;
}

void rate::diagonal_jacobian(const state& s, Eigen::VectorXd& a, Eigen::VectorXd& c,
                             Eigen::VectorXd& d) const {
  a.setConstant(s.h.size(), 1.0 - p_.alpha);
  c.setConstant(s.h.size(), p_.alpha);
  d = activation_derivative(p_.phi, s.h).matrix();
}

void rate::derive_output(state& s) const {
  s.r = apply_activation(p_.phi, s.h).matrix();
}

}  // namespace chaoschip::models
