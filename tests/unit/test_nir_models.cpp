// The NIR neuron models against NIR's published reference trace (norse), closed forms
// computed here independently (matrix exponentials, sums of exponentials), and snnTorch's
// recurrence with the braille graph's parameters.
#include <H5Cpp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <unsupported/Eigen/MatrixFunctions>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/models/cuba_li.hpp"
#include "chaoschip/models/cuba_lif.hpp"
#include "chaoschip/models/if_neuron.hpp"
#include "chaoschip/models/li.hpp"
#include "chaoschip/models/nir_integrator.hpp"
#include "chaoschip/models/nir_lif.hpp"

using namespace chaoschip;
using namespace chaoschip::models;

namespace {

std::string nir_file(const char* name) {
  return std::string(CHAOSCHIP_TEST_DATA) + "/nir/" + name;
}

// A NIR node's parameter as doubles (float32 datasets are converted by HDF5).
Eigen::ArrayXd nir_param(const std::string& file, const std::string& node, const char* name) {
  H5::H5File f(file, H5F_ACC_RDONLY);
  H5::DataSet ds = f.openDataSet("node/nodes/" + node + "/" + name);
  const auto n = ds.getSpace().getSimpleExtentNpoints();
  Eigen::ArrayXd out(n);
  ds.read(out.data(), H5::PredType::NATIVE_DOUBLE);
  return out;
}

// lif_norse_trace.csv: input, v, spike per row.
std::vector<std::array<double, 3>> norse_trace() {
  std::ifstream in(nir_file("lif_norse_trace.csv"));
  std::vector<std::array<double, 3>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::array<double, 3> r{};
    char comma;
    std::istringstream is(line);
    is >> r[0] >> comma >> r[1] >> comma >> r[2];
    rows.push_back(r);
  }
  return rows;
}

Eigen::VectorXd one(double x) {
  return Eigen::VectorXd::Constant(1, x);
}

// Exact one-step map of tau_syn di/dt = -i + w_in I, tau_mem dv/dt = v_leak - v + r i with
// I held: exp(M dt) on [i, v, 1].
Eigen::Matrix3d cuba_flow(double ts, double tm, double r, double v_leak, double w_in, double in,
                          double dt) {
  Eigen::Matrix3d m;
  m << -1.0 / ts, 0.0, w_in * in / ts, r / tm, -1.0 / tm, v_leak / tm, 0.0, 0.0, 0.0;
  return (m * dt).exp();
}

}  // namespace

TEST_CASE("nir_lif: NIR's norse reference trace (Euler) and the closed form (exact)",
          "[nir_models]") {
  const std::string f = nir_file("lif_norse.nir");
  // The graph: input -> Affine (node 0) -> LIF (node 1) -> output.
  const double w = nir_param(f, "0", "weight")[0], b = nir_param(f, "0", "bias")[0];
  const Eigen::ArrayXd tau = nir_param(f, "1", "tau"), r = nir_param(f, "1", "r"),
                       v_leak = nir_param(f, "1", "v_leak"), th = nir_param(f, "1", "v_threshold");
  REQUIRE(tau[0] == Approx(2.5e-3));
  REQUIRE(th[0] == Approx(0.1));
  // dt 1e-4 s: the first input pulse (row 60) lifts v from 0 to dt / tau r w = 0.04.
  const double dt = 1e-4;
  const auto rows = norse_trace();
  REQUIRE(rows.size() == 1000);
  CHECK(rows[60][0] == 1.0);
  CHECK(rows[60][1] == Approx(dt / tau[0] * r[0] * w));

  nir_lif::parameters p{.tau = tau, .r = r, .v_leak = v_leak};
  p.threshold.v_threshold = th;  // NIR's LIF resets to 0
  p.scheme = integrator::euler;
  const nir_lif euler(p, dt);
  auto s = euler.make_state(1);
  double max_err = 0;
  int spikes = 0, mismatched = 0;
  for (const auto& row : rows) {
    euler.step(s, one(w * row[0] + b));
    max_err = std::max(max_err, std::abs(s.v[0] - row[1]));  // v after the reset
    spikes += s.z[0] != 0.0;
    mismatched += s.z[0] != row[2];
  }
  CHECK(max_err < 1e-6);
  CHECK(spikes == 4);
  CHECK(mismatched == 0);

  // Exact: v <- v_leak + r I + (v - v_leak - r I) e^(-dt/tau), then threshold and reset.
  p.scheme = integrator::exact;
  const nir_lif exact(p, dt);
  auto e = exact.make_state(1);
  double v = 0, max_exact = 0;
  int exact_spikes = 0;
  for (const auto& row : rows) {
    const double target = v_leak[0] + r[0] * (w * row[0] + b);
    v = target + (v - target) * std::exp(-dt / tau[0]);
    const bool z = v > th[0];
    if (z) v = 0.0;
    exact.step(e, one(w * row[0] + b));
    max_exact = std::max(max_exact, std::abs(e.v[0] - v));
    CHECK(e.z[0] == (z ? 1.0 : 0.0));
    exact_spikes += z;
  }
  CHECK(max_exact < 1e-14);
  CHECK(exact_spikes >= 1);
}

TEST_CASE("nir_lif: two_lif_neurons.nir: period of the self-driven LIF, closed form of the other",
          "[nir_models]") {
  const std::string f = nir_file("two_lif_neurons.nir");
  const double tau1 = nir_param(f, "lif1", "tau")[0], vl1 = nir_param(f, "lif1", "v_leak")[0],
               th1 = nir_param(f, "lif1", "v_threshold")[0], r1 = nir_param(f, "lif1", "r")[0];
  const double tau2 = nir_param(f, "lif2", "tau")[0], vl2 = nir_param(f, "lif2", "v_leak")[0],
               th2 = nir_param(f, "lif2", "v_threshold")[0], r2 = nir_param(f, "lif2", "r")[0];
  const double w2 = nir_param(f, "linear2", "weight")[0];
  REQUIRE(vl1 == Approx(1.2));
  REQUIRE(th1 == Approx(1.0));
  const double period = tau1 * std::log(vl1 / (vl1 - th1));
  for (auto scheme : {integrator::exact, integrator::euler}) {
    const double dt = scheme == integrator::exact ? 1e-5 : 1e-6;
    nir_lif::parameters p1{.tau = nir::uniform(tau1),
                           .r = nir::uniform(r1),
                           .v_leak = nir::uniform(vl1),
                           .scheme = scheme};
    p1.threshold.v_threshold = nir::uniform(th1);
    nir_lif::parameters p2{.tau = nir::uniform(tau2),
                           .r = nir::uniform(r2),
                           .v_leak = nir::uniform(vl2),
                           .scheme = integrator::exact};
    p2.threshold.v_threshold = nir::uniform(th2);
    const nir_lif lif1(p1, dt), lif2(p2, dt);
    auto s1 = lif1.make_state(1);
    auto s2 = lif2.make_state(1);
    std::vector<long> spike_steps;
    const long steps = std::lround(5.5 * period / dt);
    REQUIRE(vl2 == 0.0);
    double max_err = 0;
    for (long k = 0; k < steps; ++k) {
      lif1.step(s1, one(0.0));  // driven by v_leak alone
      if (s1.z[0] != 0.0) spike_steps.push_back(k);
      lif2.step(s2, one(w2 * s1.z[0]));  // the spike as a unit pulse held for one step
      // LIF2 below threshold: the pulse of step s has lifted v by r w (1 - e^(-dt/tau)) at
      // its end, which has decayed since as e^(-(k - s) dt / tau).
      double v2 = 0;
      for (long sk : spike_steps)
        v2 +=
            r2 * w2 * -std::expm1(-dt / tau2) * std::exp(-static_cast<double>(k - sk) * dt / tau2);
      max_err = std::max(max_err, std::abs(s2.v[0] - v2));
    }
    INFO("scheme " << (scheme == integrator::exact ? "exact" : "euler"));
    REQUIRE(spike_steps.size() == 5);
    // The first spike is one period after the start, the others one period apart.
    CHECK(std::abs(static_cast<double>(spike_steps[0] + 1) * dt - period) < dt);
    for (std::size_t j = 1; j < spike_steps.size(); ++j)
      CHECK(std::abs(static_cast<double>(spike_steps[j] - spike_steps[j - 1]) * dt - period) < dt);
    CHECK(max_err < 1e-12);
    CHECK(s2.z.sum() == 0.0);
  }
}

TEST_CASE("cuba_lif / cuba_li exact: the matrix exponential of the linear system, per neuron",
          "[nir_models]") {
  // Neuron 1 has tau_mem == tau_syn (the degenerate closed form), neuron 2 nearly so.
  const Eigen::Index n = 4;
  nir::cuba_parameters c;
  c.tau_syn = (Eigen::ArrayXd(n) << 2.0, 5.0, 5.0 * (1 + 1e-9), 0.5).finished();
  c.tau_mem = (Eigen::ArrayXd(n) << 10.0, 5.0, 5.0, 20.0).finished();
  c.r = (Eigen::ArrayXd(n) << 1.0, 2.0, -0.5, 3.0).finished();
  c.v_leak = (Eigen::ArrayXd(n) << 0.0, 0.3, -0.2, 0.1).finished();
  c.w_in = (Eigen::ArrayXd(n) << 1.0, 0.5, 2.0, 1.5).finished();
  const double dt = 0.7;
  const cuba_li li_model({.cuba = c, .scheme = integrator::exact}, dt);
  cuba_lif_parameters spiking{.cuba = c, .scheme = integrator::exact};
  spiking.threshold.v_threshold = Eigen::ArrayXd::Constant(n, 1e9);  // never reached
  const cuba_lif lif_model(spiking, dt);
  auto a = li_model.make_state(n);
  auto b = lif_model.make_state(n);
  random_stream rng(11, "nir");
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(3, n);  // [i, v, 1] per neuron
  x.row(2).setOnes();
  double max_err = 0;
  for (int k = 0; k < 200; ++k) {
    Eigen::VectorXd in(n);
    for (Eigen::Index j = 0; j < n; ++j) in[j] = rng.normal();
    li_model.step(a, in);
    lif_model.step(b, in);
    for (Eigen::Index j = 0; j < n; ++j) {
      const Eigen::Matrix3d f =
          cuba_flow(c.tau_syn[j], c.tau_mem[j], c.r[j], c.v_leak[j], c.w_in[j], in[j], dt);
      const double i0 = x(0, j), v0 = x(1, j);  // x(2, j) == 1
      x(0, j) = f(0, 0) * i0 + f(0, 1) * v0 + f(0, 2);
      x(1, j) = f(1, 0) * i0 + f(1, 1) * v0 + f(1, 2);
      max_err = std::max({max_err, std::abs(a.y[j] - x(1, j)), std::abs(a.i_syn[j] - x(0, j)),
                          std::abs(b.v[j] - x(1, j))});
    }
  }
  CHECK(max_err < 1e-12);
}

TEST_CASE("cuba_lif Euler: snnTorch's Synaptic recurrence with the braille graph's parameters",
          "[nir_models]") {
  // snnTorch exported its Synaptic neurons (syn = alpha syn + x, mem = beta mem + syn) at
  // dt = 1e-4 s as tau_syn = dt / (1 - alpha), tau_mem = dt / (1 - beta), w_in = tau_syn / dt,
  // r = tau_mem / dt; this graph's first layer has alpha = 0.55, beta = 0.9.
  const std::string f = nir_file("braille_noDelay_bias_zero.nir");
  nir::cuba_parameters c{.tau_syn = nir_param(f, "lif1.lif", "tau_syn"),
                         .tau_mem = nir_param(f, "lif1.lif", "tau_mem"),
                         .r = nir_param(f, "lif1.lif", "r"),
                         .v_leak = nir_param(f, "lif1.lif", "v_leak"),
                         .w_in = nir_param(f, "lif1.lif", "w_in")};
  const Eigen::Index n = c.r.size();
  REQUIRE(n == 38);
  const double dt = 1e-4;
  cuba_lif_parameters p{.cuba = c, .scheme = integrator::euler};
  p.threshold.v_threshold = Eigen::ArrayXd::Constant(n, 1e9);
  const cuba_lif m(p, dt);
  auto s = m.make_state(static_cast<std::size_t>(n));
  random_stream rng(3, "braille");
  Eigen::ArrayXd syn = Eigen::ArrayXd::Zero(n), mem = syn, mem_old_order = syn, syn_prev = syn;
  double max_rel = 0, max_old_order = 0;
  for (int k = 0; k < 300; ++k) {
    Eigen::VectorXd x(n);
    for (Eigen::Index j = 0; j < n; ++j) x[j] = rng.normal();
    m.step(s, x);
    syn_prev = syn;
    syn = 0.55 * syn + x.array();
    mem = 0.9 * mem + syn;
    mem_old_order = 0.9 * mem_old_order + syn_prev;  // membrane with the old current
    const double scale = mem.abs().maxCoeff() + 1.0;
    max_rel = std::max(max_rel, (s.v - mem).abs().maxCoeff() / scale);
    max_old_order = std::max(max_old_order, (s.v - mem_old_order).abs().maxCoeff() / scale);
  }
  // float32 parameters: r dt / tau_mem = 0.99999976 etc.
  CHECK(max_rel < 1e-5);
  CHECK(max_old_order > 0.1);  // the order matters: the test can tell
}

TEST_CASE("li, integrator, if_neuron: closed forms; reset to a value vs by subtraction",
          "[nir_models]") {
  const double dt = 0.1, tau = 2.0, r = 1.5, vl = 0.2, in = 0.8;
  for (auto scheme : {integrator::exact, integrator::euler}) {
    const li m({.tau = nir::uniform(tau),
                .r = nir::uniform(r),
                .v_leak = nir::uniform(vl),
                .scheme = scheme},
               dt);
    auto s = m.make_state(1);
    double max_err = 0;
    for (int k = 1; k <= 100; ++k) {
      m.step(s, one(in));
      const double decay =
          scheme == integrator::exact ? std::exp(-k * dt / tau) : std::pow(1.0 - dt / tau, k);
      max_err = std::max(max_err, std::abs(s.y[0] - (vl + r * in) * (1.0 - decay)));
    }
    CHECK(max_err < 1e-13);
  }
  {
    const nir_integrator m({.r = nir::uniform(r)}, dt);
    auto s = m.make_state(1);
    for (int k = 1; k <= 50; ++k) m.step(s, one(in * k));
    CHECK(s.y[0] == Approx(dt * r * in * 50 * 51 / 2).epsilon(1e-13));
  }
  // IF with constant input: v = k dt r I until v > v_th, then reset in the same step.
  for (auto reset : {reset_mode::value, reset_mode::subtract}) {
    if_neuron::parameters p{.r = nir::uniform(1.0)};
    p.threshold.v_threshold = nir::uniform(1.0);
    p.threshold.v_reset = nir::uniform(-0.25);
    p.threshold.reset = reset;
    const if_neuron m(p, 0.25);  // + 0.3125 per step: above 1 at the 4th step (1.25)
    auto s = m.make_state(1);
    std::vector<double> v;
    for (int k = 0; k < 4; ++k) {
      m.step(s, one(1.25));
      v.push_back(s.v[0]);
    }
    CHECK(v[2] == 0.9375);
    CHECK(s.z[0] == 1.0);
    CHECK(s.spiking.size() == 1);
    CHECK(v[3] == (reset == reset_mode::value ? -0.25 : 0.25));
  }
  // Exactly at the threshold is no spike (z = [v > v_th]).
  if_neuron::parameters p{.r = nir::uniform(1.0)};
  p.threshold.v_threshold = nir::uniform(0.5);
  const if_neuron m(p, 0.5);
  auto s = m.make_state(1);
  m.step(s, one(1.0));
  CHECK(s.v[0] == 0.5);
  CHECK(s.z[0] == 0.0);
}

TEST_CASE("NIR models: per-neuron parameters act per neuron; sizes are checked", "[nir_models]") {
  const Eigen::ArrayXd taus = (Eigen::ArrayXd(3) << 1.0, 2.0, 4.0).finished();
  const Eigen::ArrayXd ths = (Eigen::ArrayXd(3) << 0.3, 0.5, 0.7).finished();
  nir_lif::parameters p{.tau = taus, .r = nir::uniform(2.0)};
  p.threshold.v_threshold = ths;
  p.threshold.reset = reset_mode::subtract;
  const nir_lif all(p, 0.1);
  auto s = all.make_state(3);
  std::vector<nir_lif> single;
  std::vector<nir_lif::state> states;
  for (int j = 0; j < 3; ++j) {
    nir_lif::parameters q{.tau = nir::uniform(taus[j]), .r = nir::uniform(2.0)};
    q.threshold.v_threshold = nir::uniform(ths[j]);
    q.threshold.reset = reset_mode::subtract;
    single.emplace_back(q, 0.1);
    states.push_back(single.back().make_state(1));
  }
  for (int k = 0; k < 100; ++k) {
    const double in = 0.3 + 0.2 * std::sin(0.1 * k);
    all.step(s, Eigen::VectorXd::Constant(3, in));
    for (int j = 0; j < 3; ++j) {
      single[j].step(states[j], one(in));
      CHECK(s.v[j] == states[j].v[0]);
      CHECK(s.z[j] == states[j].z[0]);
    }
  }
  CHECK(s.v[0] != s.v[1]);
  // Arrays of 3 values do not fit 4 neurons, nor 2 values a 3-value array.
  CHECK_THROWS_AS(all.make_state(4), parameter_error);
  p.r = nir::widen(nir::uniform(1.0), 2);
  CHECK_THROWS_AS(nir_lif(p, 0.1), parameter_error);
  p.r = nir::uniform(1.0);
  p.tau[1] = -1.0;
  CHECK_THROWS_AS(nir_lif(p, 0.1), parameter_error);
}

namespace {
// Central differences of one step with the output fed back, I = W v + u, against
// jacobian_apply (the graded models are linear: equal to round-off).
template <class Model>
double jacobian_error(Model m, Eigen::Index n, std::uint64_t seed) {
  random_stream rng(seed, "jacobian");
  Eigen::MatrixXd w(n, n);
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = rng.normal() / std::sqrt(double(n));
  const dense_projection proj(w);
  model_population<Model> pop(std::move(m), static_cast<std::size_t>(n));
  const auto vars = pop.variables();
  const auto dim = static_cast<Eigen::Index>(pop.tangent_dim());
  REQUIRE(dim == n * static_cast<Eigen::Index>(vars.size()));
  Eigen::VectorXd x0(dim), u(n);
  for (Eigen::Index i = 0; i < dim; ++i) x0[i] = rng.normal();
  for (Eigen::Index i = 0; i < n; ++i) u[i] = rng.normal();
  auto set = [&](const Eigen::VectorXd& x) {
    for (std::size_t v = 0; v < vars.size(); ++v)
      pop.set_variable(vars[v], x.segment(static_cast<Eigen::Index>(v) * n, n));
  };
  auto flow = [&](const Eigen::VectorXd& x) {
    set(x);
    pop.step(0, w * pop.graded() + u);
    Eigen::VectorXd out(dim);
    for (std::size_t v = 0; v < vars.size(); ++v)
      out.segment(static_cast<Eigen::Index>(v) * n, n) = pop.variable(vars[v]);
    return out;
  };
  set(x0);
  Eigen::MatrixXd q = Eigen::MatrixXd::Identity(dim, dim);
  pop.jacobian_apply(&proj, q);
  double err = 0;
  const double eps = 1e-6;
  for (Eigen::Index j = 0; j < dim; ++j) {
    Eigen::VectorXd e = Eigen::VectorXd::Zero(dim);
    e[j] = eps;
    const Eigen::VectorXd fd = (flow(x0 + e) - flow(x0 - e)) / (2 * eps);
    err = std::max(err, (fd - q.col(j)).cwiseAbs().maxCoeff());
  }
  return err;
}
}  // namespace

TEST_CASE("li, cuba_li, integrator: jacobian_apply equals central differences", "[nir_models]") {
  const Eigen::ArrayXd tau = (Eigen::ArrayXd(5) << 1.0, 2.0, 3.0, 4.0, 5.0).finished();
  for (auto scheme : {integrator::exact, integrator::euler}) {
    CHECK(jacobian_error(li({.tau = tau, .r = nir::uniform(0.7), .scheme = scheme}, 0.5), 5, 1) <
          1e-8);
    nir::cuba_parameters c;
    c.tau_mem = tau;
    c.tau_syn = nir::uniform(2.0);  // equal to neuron 1's tau_mem
    c.w_in = nir::uniform(1.3);
    CHECK(jacobian_error(cuba_li({.cuba = c, .scheme = scheme}, 0.5), 5, 2) < 1e-8);
  }
  CHECK(jacobian_error(nir_integrator({.r = tau}, 0.1), 5, 3) < 1e-8);
}

namespace {
// The integral of the pseudo-derivative psi (a piecewise quadratic soft spike), whose exact
// Jacobian the surrogate Jacobian is.
double soft_spike(double x, double v_th, double gamma) {
  const double h = gamma / v_th, w = v_th;
  if (x <= -w) return 0.0;
  if (x <= 0.0) return h * (x + w) * (x + w) / (2 * w);
  if (x <= w) return h * (w / 2 + x - x * x / (2 * w));
  return h * w;
}

// An independent soft-spike step on [v_pre; i_syn]: z = S(v_pre - th), reset, input W z + u,
// then the propagator (leaky when there is no current).
struct soft_map {
  const nir::threshold_parameters& th;
  const Eigen::MatrixXd& w;
  const Eigen::VectorXd& u;
  Eigen::Index n;
  Eigen::VectorXd operator()(const Eigen::VectorXd& x, const nir::leaky_propagator* lp,
                             const nir::cuba_propagator* cp) const {
    Eigen::VectorXd z(n), v_post(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double vt = nir::at(th.v_threshold, i), v = x[i];
      z[i] = soft_spike(v - vt, vt, th.gamma);
      v_post[i] = th.reset == reset_mode::subtract ? v - vt * z[i]
                                                   : v + z[i] * (nir::at(th.v_reset, i) - v);
    }
    const Eigen::VectorXd in = w * z + u;
    Eigen::VectorXd y(x.size());
    for (Eigen::Index i = 0; i < n; ++i) {
      if (lp) {
        y[i] = nir::at(lp->a, i) * v_post[i] + nir::at(lp->c, i) + nir::at(lp->k, i) * in[i];
        continue;
      }
      const double i1 = nir::at(cp->ai, i) * x[n + i] + nir::at(cp->bi, i) * in[i];
      y[i] = nir::at(cp->av, i) * v_post[i] + nir::at(cp->cv, i) + nir::at(cp->k0, i) * x[n + i] +
             nir::at(cp->ki, i) * in[i] + nir::at(cp->k1, i) * i1;
      y[n + i] = i1;
    }
    return y;
  }
};

template <class Model>
double surrogate_error(const Model& m, Eigen::Index n, bool cuba, std::uint64_t seed) {
  random_stream rng(seed, "surrogate");
  Eigen::MatrixXd w(n, n);
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = rng.normal();
  const dense_projection proj(w);
  const auto& th = m.params().threshold;
  const Eigen::Index dim = cuba ? 2 * n : n;
  REQUIRE(static_cast<Eigen::Index>(m.tangent_dim(static_cast<std::size_t>(n))) == dim);
  Eigen::VectorXd x0(dim), u(n);
  for (Eigen::Index i = 0; i < dim; ++i) x0[i] = 1.0 + 0.6 * rng.normal();  // around threshold
  for (Eigen::Index i = 0; i < n; ++i) u[i] = 0.3 * rng.normal();
  const soft_map f{th, w, u, n};
  const nir::leaky_propagator* lp = nullptr;
  const nir::cuba_propagator* cp = nullptr;
  if constexpr (requires { m.propagator().ai; })
    cp = &m.propagator();
  else
    lp = &m.propagator();
  // The model's state at x0 with its spike the soft spike (what the map uses).
  auto s = m.make_state(static_cast<std::size_t>(n));
  s.v_pre = x0.head(n).array();
  if constexpr (requires { s.i_syn; }) s.i_syn = x0.tail(n).array();
  for (Eigen::Index i = 0; i < n; ++i) {
    const double vt = nir::at(th.v_threshold, i);
    s.z[i] = soft_spike(s.v_pre[i] - vt, vt, th.gamma);
    s.psi[i] = th.gamma / vt * std::max(0.0, 1.0 - std::abs(s.v_pre[i] - vt) / vt);
  }
  Eigen::MatrixXd q(dim, 3);
  for (Eigen::Index i = 0; i < q.size(); ++i) q.data()[i] = rng.normal();
  Eigen::MatrixXd dq = q;
  m.jacobian_apply(s, &proj, dq);
  const double eps = 1e-7;
  double err = 0;
  for (Eigen::Index j = 0; j < q.cols(); ++j) {
    const Eigen::VectorXd fd =
        (f(x0 + eps * q.col(j), lp, cp) - f(x0 - eps * q.col(j), lp, cp)) / (2 * eps);
    err = std::max(err, (fd - dq.col(j)).norm() / fd.norm());
  }
  return err;
}
}  // namespace

TEST_CASE("nir_lif, if_neuron, cuba_lif: surrogate Jacobian = Jacobian of the soft-spike map",
          "[nir_models]") {
  const Eigen::Index n = 6;
  const Eigen::ArrayXd th = (Eigen::ArrayXd(n) << 1.0, 0.8, 1.2, 1.0, 0.9, 1.1).finished();
  for (auto reset : {reset_mode::value, reset_mode::subtract}) {
    INFO((reset == reset_mode::value ? "value" : "subtract"));
    nir::threshold_parameters t{.v_threshold = th, .v_reset = nir::uniform(-0.2), .reset = reset};
    for (auto scheme : {integrator::exact, integrator::euler}) {
      nir_lif::parameters p{.tau = Eigen::ArrayXd::LinSpaced(n, 2.0, 5.0),
                            .r = nir::uniform(0.8),
                            .v_leak = nir::uniform(0.1),
                            .threshold = t,
                            .scheme = scheme};
      CHECK(surrogate_error(nir_lif(p, 0.5), n, false, 1) < 1e-6);
      cuba_lif_parameters c{.threshold = t, .scheme = scheme};
      c.cuba.tau_mem = Eigen::ArrayXd::LinSpaced(n, 2.0, 5.0);
      c.cuba.w_in = nir::uniform(1.5);
      CHECK(surrogate_error(cuba_lif(c, 0.5), n, true, 2) < 1e-6);
    }
    CHECK(surrogate_error(if_neuron({.r = nir::uniform(0.7), .threshold = t}, 0.5), n, false, 3) <
          1e-6);
  }
}
