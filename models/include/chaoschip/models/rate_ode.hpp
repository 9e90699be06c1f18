#pragma once
// Continuous-time rate network, tau dh/dt = -h + W phi(h) + u(t), integrated with
// Boost.Odeint. The recurrent term is continuous coupling (inside the ODE); the external
// input u is what arrives through projections at each step and is held constant over
// that step. Adaptive Dormand-Prince (dopri5) with dense output by default: the
// integrator steps across grid points freely and restarts only where u changes.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/models/activation.hpp"

namespace chaoschip::models {

enum class ode_method { dopri5, rk4 };

// dopri5 cannot meet a tolerance much below the rounding error of a step: it shrinks the
// step forever (1e-13 already did on a 100-neuron network). Tolerances below this floor act
// as the floor.
inline constexpr double ode_tol_floor = 1e-12;
// Steps (accepted and rejected) dopri5 may take within one dt before it gives up with a
// numerical_error naming the step size (a stiff or diverging system would otherwise hang).
inline constexpr std::int64_t ode_max_steps_per_dt = 20000;

struct rate_ode_parameters {
  double tau = 30.0;  // ms (neuron.tau_m)
  activation phi = activation::tanh;
  ode_method method = ode_method::dopri5;
  double tol = 1e-8;  // dopri5 absolute and relative error tolerance (>= ode_tol_floor used)
  int substeps = 10;  // rk4 steps per dt
};

class rate_ode : public with_recordables<rate_ode> {
 public:
  using parameters = rate_ode_parameters;
  struct integrator;  // Odeint dense-output stepper, kept across steps
  struct state {
    state();
    state(const state&);
    state& operator=(const state&);
    state(state&&) noexcept;
    state& operator=(state&&) noexcept;
    ~state();
    std::vector<double> h;
    Eigen::VectorXd r;                    // phi(h): graded output
    Eigen::VectorXd u;                    // input held over the current step
    double t = 0.0;                       // ms
    std::unique_ptr<integrator> stepper;  // null: restart at the next step
  };
  std::string_view name() const noexcept { return "rate_ode"; }
  static constexpr output_kind output = output_kind::graded;

  rate_ode(const parameters& p, double dt);

  state make_state(std::size_t n) const;
  // Integrates over [t, t + dt] with the input arriving at this step held constant.
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input,
            const projection* coupling) const;
  Eigen::ArrayXd pseudo_derivative(const state& s) const;
  // The flow map's dependence on W to first order in dt: D q ~ q + (dt/tau)(-q + W phi'(h) q),
  // so pre = phi'(h) q, post = (dt/tau) m (local flossing; exact as dt -> 0).
  void weight_factor_pre(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& q,
                         Eigen::Ref<Eigen::MatrixXd> pre) const;
  void weight_factor_post(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& m,
                          Eigen::Ref<Eigen::MatrixXd> post) const;
  std::size_t tangent_dim(std::size_t n) const noexcept { return n; }
  // Integrates the variational equation tau dQ/dt = (-I + W diag(phi'(h))) Q together
  // with h over one step (a fresh integration of the joint system).
  void step_tangent(state& s, const Eigen::Ref<const Eigen::VectorXd>& input,
                    const projection* coupling, Eigen::Ref<Eigen::MatrixXd> q) const;

  static constexpr auto recordables() {
    return std::array{recordable<rate_ode>{"h", &state::h, true, &rate_ode::restart_from}};
  }
  // After h is set: r = phi(h), and the integrator restarts from there.
  void restart_from(state& s) const;
  const parameters& params() const noexcept { return p_; }

 private:
  parameters p_;
  double dt_;
};

}  // namespace chaoschip::models
