// Neuron models: closed-form solutions, matrix exponentials, and every jacobian_apply
// against central finite differences of an independent implementation of the map.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <memory>

#include <unsupported/Eigen/MatrixFunctions>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/network.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/models/init.hpp"
#include "chaoschip/models/lif.hpp"
#include "chaoschip/models/rate.hpp"
#include "chaoschip/models/rate_ode.hpp"
#include "chaoschip/models/readout.hpp"
#include "chaoschip/models/sources.hpp"

using namespace chaoschip;
using namespace chaoschip::models;

namespace {

double rel_error(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

// Central finite differences of `map` at x along the columns of q.
Eigen::MatrixXd finite_differences(
    const std::function<Eigen::VectorXd(const Eigen::VectorXd&)>& map, const Eigen::VectorXd& x,
    const Eigen::MatrixXd& q, double eps) {
  Eigen::MatrixXd out(map(x).size(), q.cols());
  for (Eigen::Index j = 0; j < q.cols(); ++j)
    out.col(j) = (map(x + eps * q.col(j)) - map(x - eps * q.col(j))) / (2 * eps);
  return out;
}

// Integral of the pseudo-derivative psi (a piecewise quadratic "soft spike"): the map
// whose exact Jacobian the surrogate Jacobian is.
double soft_spike(double x, double v_th, double gamma) {
  const double h = gamma / v_th, w = v_th;
  if (x <= -w) return 0.0;
  if (x <= 0.0) return h * (x + w) * (x + w) / (2 * w);
  if (x <= w) return h * (w / 2 + x - x * x / (2 * w));
  return h * w;
}
double psi_of(double x, double v_th, double gamma) {
  return gamma / v_th * std::max(0.0, 1.0 - std::abs(x) / v_th);
}

}  // namespace

TEST_CASE("LIF sub-threshold membrane equals the closed-form exponential solution", "[models]") {
  const double dt = 0.1, tau_m = 20.0;
  SECTION("free decay") {
    lif m({.tau_m = tau_m, .v_th = 1.0}, dt);
    auto s = m.make_state(1);
    s.v[0] = 0.8;
    for (int k = 1; k <= 500; ++k) {
      m.step(s, Eigen::VectorXd::Zero(1));
      CHECK(s.v[0] == Approx(0.8 * std::exp(-k * dt / tau_m)).epsilon(1e-12));
    }
  }
  SECTION("one input spike, delta synapse") {
    for (bool regular : {false, true}) {
      lif m({.tau_m = tau_m, .v_th = 1.0, .regular_spike_arrival = regular}, dt);
      auto s = m.make_state(1);
      const double w = 0.3, c = regular ? 1.0 : 1.0 - std::exp(-dt / tau_m);
      m.step(s, Eigen::VectorXd::Constant(1, w));
      for (int k = 0; k <= 300; ++k) {
        CHECK(s.v[0] == Approx(c * w * std::exp(-k * dt / tau_m)).epsilon(1e-12));
        m.step(s, Eigen::VectorXd::Zero(1));
      }
    }
  }
  SECTION("one input spike, exponential synapse") {
    for (double tau_syn : {5.0, tau_m}) {
      lif m({.tau_m = tau_m, .tau_syn = tau_syn, .v_th = 1.0}, dt);
      auto s = m.make_state(1);
      const double w = 0.3;
      m.step(s, Eigen::VectorXd::Constant(1, w));  // arrives in i_syn at this step
      for (int k = 1; k <= 400; ++k) {
        m.step(s, Eigen::VectorXd::Zero(1));
        const double t = k * dt;
        // tau_m dv/dt = -v + i, tau_syn di/dt = -i, i(0) = w, v(0) = 0.
        const double exact = tau_syn == tau_m ? w * t / tau_m * std::exp(-t / tau_m)
                                              : w * tau_syn / (tau_syn - tau_m) *
                                                    (std::exp(-t / tau_syn) - std::exp(-t / tau_m));
        CHECK(s.v[0] == Approx(exact).epsilon(1e-11));
      }
    }
  }
}

TEST_CASE("LIF spikes, resets and refractoriness", "[models]") {
  SECTION("reset by subtraction one step after the spike (NEST e-prop order)") {
    lif m({.tau_m = 10.0, .v_th = 1.0, .regular_spike_arrival = true}, 1.0);
    auto s = m.make_state(1);
    m.step(s, Eigen::VectorXd::Constant(1, 1.5));
    CHECK(s.z[0] == 1.0);
    CHECK(s.v[0] == 1.5);
    m.step(s, Eigen::VectorXd::Zero(1));
    CHECK(s.v[0] == Approx(1.5 * std::exp(-0.1) - 1.0));
  }
  SECTION("reset to a value with a refractory hold of t_ref/dt steps") {
    lif m({.tau_m = 10.0,
           .v_th = 1.0,
           .v_reset = -0.2,
           .t_ref = 3.0,
           .reset = reset_mode::value,
           .regular_spike_arrival = true},
          1.0);
    auto s = m.make_state(1);
    m.step(s, Eigen::VectorXd::Constant(1, 2.0));
    CHECK(s.z[0] == 1.0);
    for (int k = 0; k < 3; ++k) {  // held, input discarded, no spike
      m.step(s, Eigen::VectorXd::Constant(1, 5.0));
      CHECK(s.v[0] == -0.2);
      CHECK(s.z[0] == 0.0);
      CHECK(s.psi[0] == 0.0);
    }
    m.step(s, Eigen::VectorXd::Constant(1, 0.1));
    CHECK(s.v[0] == Approx(-0.2 * std::exp(-0.1) + 0.1));
  }
  SECTION("adaptive threshold rises after each spike") {
    lif m({.tau_m = 10.0,
           .v_th = 1.0,
           .regular_spike_arrival = true,
           .adaptive = true,
           .tau_a = 100.0,
           .beta = 0.5},
          1.0);
    auto s = m.make_state(1);
    m.step(s, Eigen::VectorXd::Constant(1, 1.2));
    CHECK(s.z[0] == 1.0);
    m.step(s, Eigen::VectorXd::Constant(1, 0.0));
    CHECK(s.a[0] == 1.0);  // a <- rho a + z_prev
    // v = 1.2 e^-0.1 - 1 ~ 0.086, far below the raised threshold 1.5.
    CHECK(s.z[0] == 0.0);
  }
}

TEST_CASE("LIF pseudo-derivative: the e-prop neuron's fast path gives the formula's bits",
          "[models]") {
  // The whole-array path (delta synapses, reset by subtraction, no refractoriness) must give
  // exactly gamma / v_th max(0, 1 - |v - v_th| / v_th) of the stored membrane.
  random_stream rng(7, "lif.psi");
  for (double v_th : {0.03, 1.0, 0.7, 3e-5, 123.456}) {
    const double gamma = 0.3;
    lif m({.tau_m = 30.0, .v_th = v_th, .gamma = gamma}, 1.0);
    const Eigen::Index n = 257;
    auto s = m.make_state(static_cast<std::size_t>(n));
    Eigen::VectorXd input(n);
    for (int step = 0; step < 200; ++step) {
      for (Eigen::Index i = 0; i < n; ++i) input[i] = v_th * 40.0 * rng.normal();
      m.step(s, input);
      for (Eigen::Index i = 0; i < n; ++i) {
        const double expected = gamma / v_th * std::max(0.0, 1.0 - std::abs(s.v[i] - v_th) / v_th);
        if (s.psi[i] != expected) FAIL("v_th " << v_th << ", v " << s.v[i] << ": psi differs");
      }
    }
  }
  SUCCEED();
}

TEST_CASE("rate_ode with linear phi equals expm((-I + gW) t) h0", "[models]") {
  const Eigen::Index n = 30;
  random_stream rng(5, "weights");
  const Eigen::MatrixXd w = gaussian_weights(n, n, 1.5, rng);
  Eigen::VectorXd h0(n);
  for (Eigen::Index i = 0; i < n; ++i) h0[i] = rng.normal();
  for (auto method : {ode_method::dopri5, ode_method::rk4}) {
    const double dt = 0.1;
    rate_ode m(
        {.tau = 1.0, .phi = activation::linear, .method = method, .tol = 1e-12, .substeps = 100},
        dt);
    auto s = m.make_state(static_cast<std::size_t>(n));
    m.set_variable(s, "h", h0);
    const dense_projection proj(w);
    const Eigen::MatrixXd a = -Eigen::MatrixXd::Identity(n, n) + w;
    for (int k = 1; k <= 50; ++k) {
      m.step(s, Eigen::VectorXd::Zero(n), &proj);
      if (k % 10 != 0) continue;
      const Eigen::VectorXd exact = (a * (k * dt)).exp() * h0;
      const Eigen::VectorXd h = m.variable(s, "h");
      INFO("method " << static_cast<int>(method) << " t = " << k * dt);
      CHECK((h - exact).cwiseAbs().maxCoeff() < 1e-8 * std::max(1.0, exact.cwiseAbs().maxCoeff()));
    }
  }
}

TEST_CASE("rate_ode: a tolerance below the floor acts as the floor; a stalled dopri5 stops",
          "[models][ode_guard]") {
  const Eigen::Index n = 20;
  random_stream rng(3, "weights");
  const dense_projection proj(gaussian_weights(n, n, 2.0, rng));
  Eigen::VectorXd h0(n), u(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    h0[i] = rng.normal();
    u[i] = rng.normal();
  }
  auto run = [&](double tau, double tol, bool tangent) {
    const rate_ode m({.tau = tau, .tol = tol}, 1.0);
    auto s = m.make_state(static_cast<std::size_t>(n));
    m.set_variable(s, "h", h0);
    Eigen::MatrixXd q = Eigen::MatrixXd::Identity(n, 2);
    for (int k = 0; k < 20; ++k) {
      if (tangent)
        m.step_tangent(s, u, &proj, q);
      else
        m.step(s, u, &proj);
    }
    return m.variable(s, "h");
  };
  for (bool tangent : {false, true}) {
    // 1e-100 used to shrink the step forever (a hang); now it is the floor's integration.
    const Eigen::VectorXd tiny = run(10.0, 1e-100, tangent);
    CHECK(tiny == run(10.0, ode_tol_floor, tangent));
    CHECK((tiny - run(10.0, 1e-8, tangent)).cwiseAbs().maxCoeff() < 1e-6);
    // tau = 1e-9 ms with dt = 1 ms: explicit steps of ~1e-9 ms, 1e9 of them per dt.
    CHECK_THROWS_AS(run(1e-9, 1e-8, tangent), numerical_error);
    CHECK_THROWS_WITH(run(1e-9, 1e-8, tangent),
                      Catch::Contains("step size") && Catch::Contains("ms after 20001 steps"));
  }
}

TEST_CASE("rate_ode in a network: continuous coupling, input held per step", "[models]") {
  // One neuron, no recurrence, constant input u: h(t) = u (1 - exp(-t/tau)).
  network net;
  models::spike_pattern_source::pattern pat{{0}};
  auto src = net.add("in", std::make_unique<spike_pattern_source>(1, pat));
  auto pop =
      net.add("rec", std::make_unique<model_population<rate_ode>>(
                         rate_ode({.tau = 10.0, .phi = activation::linear, .tol = 1e-12}, 0.5), 1));
  net.connect(src, pop, std::make_unique<dense_projection>(Eigen::MatrixXd::Constant(1, 1, 2.0)),
              0);
  net.connect(pop, pop, std::make_unique<dense_projection>(Eigen::MatrixXd::Zero(1, 1)), 0);
  CHECK(net.connections().back().continuous);
  simulator(net).run({0.5, 100}, {});
  CHECK(net.at(pop).variable("h")[0] == Approx(2.0 * (1 - std::exp(-50.0 / 10.0))).epsilon(1e-9));
}

namespace {

struct lif_case {
  const char* label;
  lif_parameters p;
};

}  // namespace

TEST_CASE("every jacobian_apply equals central finite differences", "[models]") {
  const Eigen::Index n = 12, k = 4;
  random_stream rng(11, "jacobian");
  const Eigen::MatrixXd w = gaussian_weights(n, n, 1.3, rng);
  const dense_projection proj(w);
  Eigen::MatrixXd q(n, k);
  for (Eigen::Index i = 0; i < q.size(); ++i) q.data()[i] = rng.normal();

  SECTION("rate") {
    for (auto phi : {activation::tanh, activation::relu, activation::linear}) {
      for (double a : {1.0, 0.3}) {
        rate m({.alpha = a, .phi = phi}, 1.0);
        Eigen::VectorXd h0(n), u(n);
        for (Eigen::Index i = 0; i < n; ++i) {
          h0[i] = rng.normal();
          if (std::abs(h0[i]) < 1e-3) h0[i] = 0.5;  // keep relu away from its kink
          u[i] = rng.normal();
        }
        // Independent map: h' = (1 - a) h + a (W phi(h) + u).
        auto map = [&](const Eigen::VectorXd& h) -> Eigen::VectorXd {
          return (1 - a) * h + a * (w * apply_activation(phi, h.array()).matrix() + u);
        };
        auto s = m.make_state(n);
        m.set_variable(s, "h", h0);
        Eigen::MatrixXd dq = q;
        m.jacobian_apply(s, &proj, dq);
        CHECK(rel_error(dq, finite_differences(map, h0, q, 1e-6)) < 1e-6);
      }
    }
  }

  SECTION("rate_ode (dopri5 and rk4)") {
    for (auto method : {ode_method::rk4, ode_method::dopri5}) {
      const double dt = 0.5;
      rate_ode m(
          {.tau = 1.0, .phi = activation::tanh, .method = method, .tol = 1e-13, .substeps = 20},
          dt);
      Eigen::VectorXd h0(n), u(n);
      for (Eigen::Index i = 0; i < n; ++i) {
        h0[i] = rng.normal();
        u[i] = 0.3 * rng.normal();
      }
      auto map = [&](const Eigen::VectorXd& h) -> Eigen::VectorXd {
        auto s = m.make_state(n);
        m.set_variable(s, "h", h);
        m.step(s, u, &proj);
        return m.variable(s, "h");
      };
      auto s = m.make_state(n);
      m.set_variable(s, "h", h0);
      Eigen::MatrixXd dq = q;
      m.step_tangent(s, u, &proj, dq);
      CHECK((m.variable(s, "h") - map(h0)).cwiseAbs().maxCoeff() < 1e-10);
      INFO("method " << static_cast<int>(method));
      CHECK(rel_error(dq, finite_differences(map, h0, q, 1e-5)) < 1e-6);
    }
  }

  SECTION("lif and alif: surrogate Jacobian = exact Jacobian of the soft-spike map") {
    const lif_case cases[] = {
        {"lif subtract", {.v_th = 0.03}},
        {"lif subtract regular", {.v_th = 0.03, .regular_spike_arrival = true}},
        {"lif value", {.v_th = 0.03, .v_reset = -0.01, .reset = reset_mode::value}},
        {"lif value refractory",
         {.v_th = 0.03, .v_reset = -0.01, .t_ref = 2.0, .reset = reset_mode::value}},
        {"lif exp synapse", {.tau_syn = 5.0, .v_th = 0.03}},
        {"lif exp synapse value",
         {.tau_syn = 5.0, .v_th = 0.03, .v_reset = 0.0, .reset = reset_mode::value}},
        {"alif", {.v_th = 0.03, .adaptive = true, .tau_a = 200.0, .beta = 0.4, .n_adaptive = 8}},
        {"alif value", {.v_th = 0.03, .reset = reset_mode::value, .adaptive = true, .beta = 0.3}},
        {"alif exp synapse", {.tau_syn = 3.0, .v_th = 0.03, .adaptive = true, .beta = 0.2}},
    };
    for (const auto& c : cases) {
      INFO(c.label);
      const lif m(c.p, 1.0);
      const auto un = static_cast<std::size_t>(n);
      const bool syn = c.p.tau_syn > 0, adapt = c.p.adaptive;
      const Eigen::Index dim = static_cast<Eigen::Index>(m.tangent_dim(un));
      REQUIRE(dim == n * (1 + syn + adapt));
      const double v_th = c.p.v_th, g = c.p.gamma;
      Eigen::VectorXd x0(dim), u(n);
      for (Eigen::Index i = 0; i < dim; ++i) x0[i] = v_th * (1.0 + 0.8 * rng.normal());
      if (adapt) x0.tail(n) = 0.05 * x0.tail(n).cwiseAbs();
      for (Eigen::Index i = 0; i < n; ++i) u[i] = 0.02 * rng.normal();
      Eigen::ArrayXi ref = Eigen::ArrayXi::Zero(n);
      if (c.p.t_ref > 0) ref.head(3).setConstant(2);  // some neurons in their refractory hold
      const Eigen::Index off_a = syn ? 2 * n : n;
      auto beta = [&](Eigen::Index i) { return m.beta_of(static_cast<std::size_t>(i), un); };

      // Independent soft-spike map of the state [v; i_syn; a].
      auto map = [&](const Eigen::VectorXd& x) -> Eigen::VectorXd {
        Eigen::VectorXd z(n), y(dim);
        for (Eigen::Index i = 0; i < n; ++i) {
          const double theta = v_th + (adapt ? beta(i) * x[off_a + i] : 0.0);
          z[i] = soft_spike(x[i] - theta, v_th, g);
        }
        const Eigen::VectorXd wz = w * z;
        for (Eigen::Index i = 0; i < n; ++i) {
          const double v = x[i];
          const double drive = syn ? m.p21() * x[n + i] : m.c_in() * (wz[i] + u[i]);
          double v_next;
          if (c.p.reset == reset_mode::subtract)
            v_next = m.alpha() * v + drive - v_th * z[i];
          else
            v_next = ref[i] > 0 ? c.p.v_reset : m.alpha() * (v + z[i] * (c.p.v_reset - v)) + drive;
          y[i] = v_next;
          if (syn) y[n + i] = m.alpha_syn() * x[n + i] + wz[i] + u[i];
          if (adapt) y[off_a + i] = m.rho() * x[off_a + i] + z[i];
        }
        return y;
      };
      // The model's state at x0 with z replaced by the soft spike (what the map uses).
      auto s = m.make_state(un);
      s.v = x0.head(n).array();
      if (syn) s.i_syn = x0.segment(n, n).array();
      if (adapt) s.a = x0.segment(off_a, n).array();
      s.ref = ref;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double theta = v_th + (adapt ? beta(i) * s.a[i] : 0.0);
        s.z[i] = soft_spike(s.v[i] - theta, v_th, g);
        s.psi[i] = psi_of(s.v[i] - theta, v_th, g);
      }
      Eigen::MatrixXd qq(dim, k);
      for (Eigen::Index i = 0; i < qq.size(); ++i) qq.data()[i] = rng.normal();
      Eigen::MatrixXd dq = qq;
      m.jacobian_apply(s, &proj, dq);
      CHECK(rel_error(dq, finite_differences(map, x0, qq, 1e-8)) < 1e-6);
    }
  }
}

TEST_CASE("step_tangent through the population wrapper takes the same step as step", "[models]") {
  const std::size_t n = 10;
  random_stream rng(3, "w");
  const dense_projection proj(gaussian_weights(10, 10, 2.0, rng));
  model_population<rate> a(rate({.alpha = 0.5}, 1.0), n), b(rate({.alpha = 0.5}, 1.0), n);
  Eigen::VectorXd h0 = Eigen::VectorXd::LinSpaced(10, -1, 1);
  a.set_variable("h", h0);
  b.set_variable("h", h0);
  Eigen::MatrixXd q = Eigen::MatrixXd::Identity(10, 10);
  const Eigen::VectorXd input = Eigen::VectorXd::Constant(10, 0.2);
  a.step_tangent(0, input, &proj, q);
  b.step(0, input);
  CHECK(a.variable("h") == b.variable("h"));
  CHECK(a.tangent_dim() == n);
}

TEST_CASE("weight initialisation: gaussian scale and orthogonality", "[models]") {
  random_stream rng(9, "weights");
  const Eigen::MatrixXd w = gaussian_weights(400, 400, 1.5, rng);
  const double var = w.array().square().mean();
  CHECK(var * 400 == Approx(1.5 * 1.5).epsilon(0.02));
  const Eigen::MatrixXd o = orthogonal_weights(50, 2.0, rng);
  CHECK((o.transpose() * o - 4.0 * Eigen::MatrixXd::Identity(50, 50)).cwiseAbs().maxCoeff() <
        1e-12);
}

TEST_CASE("readout: leaky integration and the instantaneous limit", "[models]") {
  readout r({.tau = 30.0}, 1.0);
  auto s = r.make_state(1);
  r.step(s, Eigen::VectorXd::Constant(1, 1.0));
  CHECK(s.y[0] == Approx(1 - std::exp(-1.0 / 30.0)));
  readout r0({.tau = 0.0}, 1.0);
  auto s0 = r0.make_state(1);
  r0.step(s0, Eigen::VectorXd::Constant(1, 0.7));
  CHECK(s0.y[0] == 0.7);
}
