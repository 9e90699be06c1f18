#pragma once
// Discrete-time leaky rate map: h <- (1 - alpha) h + alpha (W phi(h) + W_in x), output
// r = phi(h). alpha = 1 is the plain map h <- W phi(h) + W_in x.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/models/activation.hpp"

namespace chaoschip::models {

struct rate_parameters {
  double alpha = 1.0;  // leak per step, in (0, 1]
  activation phi = activation::tanh;
};

class rate : public with_recordables<rate> {
 public:
  using parameters = rate_parameters;
  struct state {
    Eigen::ArrayXd h;   // pre-activation
    Eigen::VectorXd r;  // phi(h): the graded output
  };
  std::string_view name() const noexcept { return "rate"; }
  static constexpr output_kind output = output_kind::graded;

  rate(const parameters& p, double dt);

  state make_state(std::size_t n) const;
  // `input` = W r_{t-1} + W_in x_t (+ bias): everything arriving at this step.
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  // phi'(h): the derivative learning rules use.
  Eigen::ArrayXd pseudo_derivative(const state& s) const {
    return activation_derivative(p_.phi, s.h);
  }
  std::size_t tangent_dim(std::size_t n) const noexcept { return n; }
  // q <- D q with D = (1 - alpha) I + alpha W diag(phi'(h)), at the current state.
  void jacobian_apply(const state& s, const projection* w, Eigen::Ref<Eigen::MatrixXd> q) const;
  // D q = (1 - alpha) q + alpha W (phi'(h) q): pre = phi'(h) q, post = alpha m.
  void weight_factor_pre(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& q,
                         Eigen::Ref<Eigen::MatrixXd> pre) const;
  void weight_factor_post(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& m,
                          Eigen::Ref<Eigen::MatrixXd> post) const;
  // D = diag(a) + diag(c) W diag(s): a = 1 - alpha, c = alpha, s = phi'(h).
  void diagonal_jacobian(const state& s, Eigen::VectorXd& a, Eigen::VectorXd& c,
                         Eigen::VectorXd& d) const;

  static constexpr auto recordables() {
    return std::array{recordable<rate>{"h", &state::h, true, &rate::derive_output}};
  }
  // r = phi(h) after h is set.
  void derive_output(state& s) const;
  const parameters& params() const noexcept { return p_; }

 private:
  parameters p_;
};

}  // namespace chaoschip::models
