#include "chaoschip/models/rate_ode.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include <boost/numeric/odeint.hpp>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

namespace odeint = boost::numeric::odeint;
using vec = std::vector<double>;
using dense_stepper_t = odeint::dense_output_runge_kutta<
    odeint::controlled_runge_kutta<odeint::runge_kutta_dopri5<vec>>>;

struct rate_ode::integrator {
  dense_stepper_t stepper;
};

rate_ode::state::state() = default;
rate_ode::state::~state() = default;
rate_ode::state::state(state&&) noexcept = default;
rate_ode::state& rate_ode::state::operator=(state&&) noexcept = default;
rate_ode::state::state(const state& o) : h(o.h), r(o.r), u(o.u), t(o.t) {}
rate_ode::state& rate_ode::state::operator=(const state& o) {
  if (this != &o) {
    h = o.h;
    r = o.r;
    u = o.u;
    t = o.t;
    stepper.reset();  // a copy restarts its integration
  }
  return *this;
}

namespace {

// tau dh/dt = -h + W phi(h) + u, optionally with k tangent vectors after h (column-major).
struct rhs {
  const projection* w;
  activation phi;
  double inv_tau;
  const Eigen::VectorXd& u;
  Eigen::Index n, k;
  mutable Eigen::VectorXd wr;
  mutable Eigen::MatrixXd dq, wdq;

  void operator()(const vec& x, vec& dxdt, double) const {
    Eigen::Map<const Eigen::VectorXd> h(x.data(), n);
    Eigen::Map<Eigen::VectorXd> dh(dxdt.data(), n);
    const Eigen::ArrayXd r = apply_activation(phi, h.array());
    wr.setZero(n);
    if (w) w->deliver_rates(r.matrix(), wr);
    dh = inv_tau * (-h + wr + u);
    if (k == 0) return;
    Eigen::Map<const Eigen::MatrixXd> q(x.data() + n, n, k);
    Eigen::Map<Eigen::MatrixXd> dqdt(dxdt.data() + n, n, k);
    dq = activation_derivative(phi, h.array()).matrix().asDiagonal() * q;
    wdq.resize(n, k);
    if (w)
      w->apply(dq, wdq);
    else
      wdq.setZero();
    dqdt = inv_tau * (-q + wdq);
  }
};

std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

double effective_tol(double tol) {
  return std::max(tol, ode_tol_floor);
}

// Stops an integration that makes no progress: too many steps within one dt, or a step
// size too small to move the time (it would loop forever). A tiny step alone is fine: the
// last one of a dt can be the rounding remainder.
struct step_guard {
  double t_start, dt;
  std::int64_t steps = 0;
  void operator()(double t, double h) {
    ++steps;
    if (steps > ode_max_steps_per_dt || !(h > 0.0) || t + h == t)
      throw numerical_error(
          "rate_ode (dopri5)", std::llround(t_start / dt),
          "the adaptive step size fell to " + format_g(h) + " ms after " + std::to_string(steps) +
              " steps within one dt = " + format_g(dt) +
              " ms (the system is too stiff or diverging for neuron.ode_tol; try a larger "
              "tolerance or neuron.tau_m)");
  }
};

}  // namespace

rate_ode::rate_ode(const parameters& p, double dt) : p_(p), dt_(dt) {
  if (!(p.tau > 0.0 && std::isfinite(p.tau)))
    throw parameter_error("neuron.tau_m", std::to_string(p.tau), "a number > 0");
  if (!(p.tol > 0.0 && p.tol <= 1e-2))
    throw parameter_error("neuron.ode_tol", std::to_string(p.tol), "a number in (0, 1e-2]");
  if (p.substeps < 1)
    throw parameter_error("neuron.ode_substeps", std::to_string(p.substeps), "an integer >= 1");
  if (!(dt > 0.0)) throw parameter_error("network.dt", std::to_string(dt), "a number > 0");
}

rate_ode::state rate_ode::make_state(std::size_t n) const {
  state s;
  s.h.assign(n, 0.0);
  s.r = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(n));
  s.r = apply_activation(p_.phi, s.r.array()).matrix();
  s.u = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(n));
  return s;
}

void rate_ode::step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input,
                    const projection* coupling) const {
  const auto n = static_cast<Eigen::Index>(s.h.size());
  const double t_end = s.t + dt_;
  if (p_.method == ode_method::rk4) {
    s.u = input;
    rhs f{coupling, p_.phi, 1.0 / p_.tau, s.u, n, 0, {}, {}, {}};
    odeint::integrate_n_steps(odeint::runge_kutta4<vec>(), f, s.h, s.t, dt_ / p_.substeps,
                              static_cast<std::size_t>(p_.substeps));
  } else {
    // Restart the dense-output integrator only where the input changes.
    const double tol = effective_tol(p_.tol);
    if (!s.stepper || input != s.u) {
      s.u = input;
      s.stepper = std::make_unique<integrator>(
          integrator{odeint::make_dense_output(tol, tol, odeint::runge_kutta_dopri5<vec>())});
      s.stepper->stepper.initialize(s.h, s.t, dt_);
    }
    rhs f{coupling, p_.phi, 1.0 / p_.tau, s.u, n, 0, {}, {}, {}};
    auto& st = s.stepper->stepper;
    step_guard guard{s.t, dt_};
    try {
      while (st.current_time() < t_end) {
        guard(st.current_time(), st.current_time_step());
        st.do_step(f);
      }
    } catch (const odeint::odeint_error& e) {
      s.stepper.reset();
      throw numerical_error(
          "rate_ode (dopri5)", std::llround(s.t / dt_),
          std::string(e.what()) + " (step size " + format_g(st.current_time_step()) + " ms)");
    }
    st.calc_state(t_end, s.h);
  }
  s.t = t_end;
  s.r = apply_activation(p_.phi, Eigen::Map<const Eigen::ArrayXd>(s.h.data(), n)).matrix();
}

void rate_ode::step_tangent(state& s, const Eigen::Ref<const Eigen::VectorXd>& input,
                            const projection* coupling, Eigen::Ref<Eigen::MatrixXd> q) const {
  const auto n = static_cast<Eigen::Index>(s.h.size());
  const Eigen::Index k = q.cols();
  vec x(static_cast<std::size_t>(n * (1 + k)));
  std::copy(s.h.begin(), s.h.end(), x.begin());
  Eigen::Map<Eigen::MatrixXd>(x.data() + n, n, k) = q;
  s.u = input;
  rhs f{coupling, p_.phi, 1.0 / p_.tau, s.u, n, k, {}, {}, {}};
  if (p_.method == ode_method::rk4) {
    odeint::integrate_n_steps(odeint::runge_kutta4<vec>(), f, x, s.t, dt_ / p_.substeps,
                              static_cast<std::size_t>(p_.substeps));
  } else {
    // integrate_adaptive's loop, with the guard.
    const double tol = effective_tol(p_.tol), t_end = s.t + dt_;
    auto stepper = odeint::make_controlled(tol, tol, odeint::runge_kutta_dopri5<vec>());
    double t = s.t, h = dt_;
    step_guard guard{s.t, dt_};
    try {
      while (t_end - t > std::numeric_limits<double>::epsilon() * std::max(1.0, t_end)) {
        h = std::min(h, t_end - t);
        guard(t, h);
        stepper.try_step(f, x, t, h);
      }
    } catch (const odeint::odeint_error& e) {
      throw numerical_error("rate_ode (dopri5, tangent)", std::llround(s.t / dt_),
                            std::string(e.what()) + " (step size " + format_g(h) + " ms)");
    }
  }
  std::copy(x.begin(), x.begin() + n, s.h.begin());
  q = Eigen::Map<const Eigen::MatrixXd>(x.data() + n, n, k);
  s.t += dt_;
  s.stepper.reset();  // the trajectory continues from here
  s.r = apply_activation(p_.phi, Eigen::Map<const Eigen::ArrayXd>(s.h.data(), n)).matrix();
}

Eigen::ArrayXd rate_ode::pseudo_derivative(const state& s) const {
  return activation_derivative(
      p_.phi, Eigen::Map<const Eigen::ArrayXd>(s.h.data(), static_cast<Eigen::Index>(s.h.size())));
}

void rate_ode::weight_factor_pre(const state& s, const Eigen::Ref<const Eigen::MatrixXd>& q,
                                 Eigen::Ref<Eigen::MatrixXd> pre) const {
  pre = pseudo_derivative(s).matrix().asDiagonal() * q;
}

void rate_ode::weight_factor_post(const state&, const Eigen::Ref<const Eigen::MatrixXd>& m,
                                  Eigen::Ref<Eigen::MatrixXd> post) const {
  post = (dt_ / p_.tau) * m;
}

void rate_ode::restart_from(state& s) const {
  const Eigen::Map<const Eigen::ArrayXd> h(s.h.data(), static_cast<Eigen::Index>(s.h.size()));
  s.r = apply_activation(p_.phi, h).matrix();
  s.stepper.reset();
}

}  // namespace chaoschip::models
