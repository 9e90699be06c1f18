// e-prop and BPTT for NIR's LIF (nir_lif; docs/learning.md): the registry's learning
// constants against the closed forms of NIR's propagator, the engine's trajectory (spikes,
// psi of the membrane before its reset) against a plain NIR LIF forward written here, and
// BPTT (reset as a stop-gradient) against central finite differences of the same loss with
// a smooth spike and the resets held fixed; e-prop with symmetric feedback equals BPTT
// without recurrent weights.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/trajectory_tap.hpp"
#include "chaoschip/models/bptt.hpp"
#include "chaoschip/models/eprop.hpp"
#include "chaoschip/models/loss.hpp"
#include "chaoschip/models/registry.hpp"
#include "chaoschip/models/sources.hpp"

using namespace chaoschip;
using namespace chaoschip::models;

namespace {

constexpr double tau = 0.02, r_in = 4.0, v_th = 0.8, v_reset = 0.1, gamma_ = 0.3, dt = 1e-3;

parameter_values nir_values(const std::string& integrator = "exact") {
  return parameter_values{}
      .set("tau", tau)
      .set("r", r_in)
      .set("v_leak", 0.05)
      .set("v_threshold", v_th)
      .set("v_reset", v_reset)
      .set("gamma", gamma_)
      .set("integrator", integrator);
}

Eigen::MatrixXd normal(Eigen::Index r, Eigen::Index c, double s, random_stream& rng) {
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = s * rng.normal();
  return m;
}

// Soft spike: the integral of the pseudo-derivative gamma/th max(0, 1 - |u|/th), u = v - th.
double soft(double u) {
  const double h = gamma_ / v_th, w = v_th;
  if (u <= -w) return 0.0;
  if (u <= 0.0) return h * (u + w) * (u + w) / (2 * w);
  if (u <= w) return h * (w / 2 + u - u * u / (2 * w));
  return h * w;
}
double dsoft(double u) {
  return gamma_ / v_th * std::max(0.0, 1.0 - std::abs(u) / v_th);
}

struct weights {
  Eigen::MatrixXd w_in, w_rec, w_out;
};

// NIR's LIF written plainly (exact integration, input held over the step):
//   v_t = a v_{t-1} + (1 - a)(v_leak + r (W_in x_t + W_rec z_{t-1})),
// then z_t = [v_t > th] (hard) or soft(v_t - th), and the reset in the same step: v_t minus
// `reset_t`. Hard: reset_t = z_t (v_t - v_reset), recorded; soft: the recorded resets held
// fixed (a stop-gradient through the reset). y_t = kappa y_{t-1} + (1 - kappa) W_out z_t.
struct forward_result {
  eprop_trajectory tr;
  Eigen::MatrixXd resets;  // [T, n]
};
forward_result nir_forward(const weights& w, const Eigen::MatrixXd& x, double kappa, bool hard,
                           const Eigen::MatrixXd* resets) {
  const Eigen::Index T = x.rows(), n = w.w_rec.rows();
  const double a = std::exp(-dt / tau);
  forward_result f{
      {x, row_matrix_d(T, n), row_matrix_d(T, n), row_matrix_d(T, w.w_out.rows()), {}, {}},
      Eigen::MatrixXd::Zero(T, n)};
  Eigen::VectorXd v = Eigen::VectorXd::Zero(n), z = Eigen::VectorXd::Zero(n),
                  y = Eigen::VectorXd::Zero(w.w_out.rows());
  for (Eigen::Index t = 0; t < T; ++t) {
    const Eigen::VectorXd in = w.w_in * x.row(t).transpose() + w.w_rec * z;
    v = (a * v.array() + (1 - a) * (0.05 + r_in * in.array())).matrix();
    for (Eigen::Index i = 0; i < n; ++i) {
      f.tr.psi(t, i) = dsoft(v[i] - v_th);
      const bool fire = v[i] > v_th;
      z[i] = hard ? (fire ? 1.0 : 0.0) : soft(v[i] - v_th);
      f.resets(t, i) = hard ? (fire ? v[i] - v_reset : 0.0) : (*resets)(t, i);
      v[i] -= f.resets(t, i);
    }
    y = kappa * y + (1 - kappa) * w.w_out * z;
    f.tr.z.row(t) = z.transpose();
    f.tr.y.row(t) = y.transpose();
  }
  return f;
}

bptt_settings settings_of(const learning_constants& k, double kappa) {
  bptt_settings s;
  s.alpha = k.alpha;
  s.c_z = k.c_z;
  s.v_th = k.v_th;
  s.alpha_out = kappa;
  s.c_out = 1 - kappa;
  return s;
}

}  // namespace

TEST_CASE("nir_lif: learning constants are NIR's propagator, homogeneous only", "[learning][nir]") {
  const auto exact = learning_constants_of(model_kind::nir_lif, nir_values(), dt, 5);
  REQUIRE(exact);
  CHECK(exact->alpha == Approx(std::exp(-dt / tau)).epsilon(1e-15));
  CHECK(exact->c_z == Approx(r_in * (1 - std::exp(-dt / tau))).epsilon(1e-14));
  CHECK(exact->v_th == v_th);
  const auto euler = learning_constants_of(model_kind::nir_lif, nir_values("euler"), dt, 5);
  CHECK(euler->alpha == Approx(1 - dt / tau).epsilon(1e-15));
  CHECK(euler->c_z == Approx(r_in * dt / tau).epsilon(1e-14));
  CHECK(describe(model_kind::nir_lif).can.eprop);
  CHECK(describe(model_kind::nir_lif).can.bptt);
  // One value per neuron: the same value five times is homogeneous, different ones are not.
  auto same = nir_values().set("tau", Eigen::ArrayXd::Constant(5, tau));
  CHECK(learning_constants_of(model_kind::nir_lif, same, dt, 5)->alpha == exact->alpha);
  // v_leak and v_reset do not enter the gradients: they may differ per neuron.
  auto leaks = nir_values().set("v_leak", Eigen::ArrayXd::LinSpaced(5, 0.0, 0.1));
  CHECK_NOTHROW(learning_constants_of(model_kind::nir_lif, leaks, dt, 5));
  for (const char* name : {"tau", "r", "v_threshold"}) {
    INFO(name);
    auto mixed = nir_values().set(name, Eigen::ArrayXd::LinSpaced(5, 0.5, 1.0));
    try {
      (void)learning_constants_of(model_kind::nir_lif, mixed, dt, 5);
      FAIL("accepted");
    } catch (const parameter_error& e) {
      CHECK(e.key() == std::string("neuron.") + name);
      CHECK_THAT(e.expected(), Catch::Contains("one value for all neurons for e-prop"));
    }
  }
}

TEST_CASE("nir_lif: the trainer's trajectory equals a plain NIR LIF forward", "[learning][nir]") {
  random_stream rng(11, "nir.tap");
  const Eigen::Index T = 80, n_in = 6, n = 7, n_out = 2;
  const double kappa = 0.9;
  weights w{normal(n, n_in, 1.5, rng), normal(n, n, 0.5, rng), normal(n_out, n, 1.0, rng)};
  w.w_rec.diagonal().setZero();
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(T, n_in);
  models::spike_pattern_source::pattern pattern(T);
  for (Eigen::Index t = 0; t < T; ++t)
    for (Eigen::Index i = 0; i < n_in; ++i)
      if (rng.bernoulli(0.3)) {
        x(t, i) = 1.0;
        pattern[static_cast<std::size_t>(t)].push_back(static_cast<std::uint32_t>(i));
      }
  // The plan a trainable graph lowers to: nir_lif on the graph's step (s), readout in ms.
  experiment::plan p;
  p.config = io::parse_config("", "test");
  p.chip = experiment::chip_plan_of(p.config);
  auto& net = p.network;
  net.n_in = n_in;
  net.n_rec = n;
  net.n_out = n_out;
  net.dt = 1.0;
  net.readout_tau = -1.0 / std::log(kappa);
  net.recurrent_model = model_kind::nir_lif;
  net.recurrent_values = nir_values();
  net.recurrent_dt = dt;
  net.in_rec = {w.w_in, 0};
  net.rec_rec = {w.w_rec, 1};
  net.rec_out = {w.w_out, 0};
  auto b = experiment::build(p);
  dynamic_cast<models::spike_pattern_source&>(b.net.at(b.input)).swap_pattern(pattern, 0);
  experiment::trajectory_tap tap;
  tap.in = b.input;
  tap.rec = b.recurrent;
  tap.out = b.readout;
  tap.full = true;
  tap.clear(T, b.net);
  std::vector<recorder*> recs{&tap};
  simulator(b.net).run({1.0, T}, recs, {});

  const auto ref = nir_forward(w, x, std::exp(-1.0 / net.readout_tau), true, nullptr);
  REQUIRE(ref.tr.z.sum() > 20);  // the layer spikes
  CHECK(tap.tr.z_events.dense() == Eigen::MatrixXd(ref.tr.z));
  CHECK((Eigen::MatrixXd(tap.tr.psi) - Eigen::MatrixXd(ref.tr.psi)).cwiseAbs().maxCoeff() < 1e-12);
  const Eigen::Map<const row_matrix_d> y(tap.y.data(), T, n_out);
  CHECK((Eigen::MatrixXd(y) - Eigen::MatrixXd(ref.tr.y)).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("nir_lif: BPTT equals finite differences with the reset as a stop-gradient",
          "[learning][nir]") {
  random_stream rng(12, "nir.bptt");
  const Eigen::Index T = 60, n_in = 4, n = 5, n_out = 2;
  const double kappa = 0.85;
  weights w{normal(n, n_in, 1.5, rng), normal(n, n, 0.6, rng), normal(n_out, n, 1.0, rng)};
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(T, n_in);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.bernoulli(0.3) ? 1.0 : 0.0;
  const Eigen::MatrixXd target = normal(T, n_out, 0.3, rng);
  std::vector<std::uint8_t> window(static_cast<std::size_t>(T), 1);
  // The resets of the hard network, then held fixed in the smooth one.
  const Eigen::MatrixXd resets = nir_forward(w, x, kappa, true, nullptr).resets;
  REQUIRE(resets.cwiseAbs().sum() > 0);
  auto forward = [&](const weights& ww) { return nir_forward(ww, x, kappa, false, &resets).tr; };
  auto loss = [&](const weights& ww) {
    return compute_error(forward(ww).y, target, window, loss_kind::mse).loss;
  };
  const auto k = *learning_constants_of(model_kind::nir_lif, nir_values(), dt, n);
  const bptt_settings s = settings_of(k, kappa);
  const auto tr = forward(w);
  const auto e = compute_error(tr.y, target, window, loss_kind::mse);
  const auto g = bptt_gradients(tr, e.error, e.window_length, w.w_rec, w.w_out, s, true);
  const double eps = 1e-6;
  auto fd = [&](Eigen::MatrixXd weights::*m) {
    weights ww = w;
    Eigen::MatrixXd out((ww.*m).rows(), (ww.*m).cols());
    for (Eigen::Index i = 0; i < out.size(); ++i) {
      const double keep = (ww.*m).data()[i];
      (ww.*m).data()[i] = keep + eps;
      const double up = loss(ww);
      (ww.*m).data()[i] = keep - eps;
      const double down = loss(ww);
      (ww.*m).data()[i] = keep;
      out.data()[i] = (up - down) / (2 * eps);
    }
    return out;
  };
  const Eigen::MatrixXd f_in = fd(&weights::w_in), f_rec = fd(&weights::w_rec),
                        f_out = fd(&weights::w_out);
  const double e_in = (g.w_in - f_in).norm() / f_in.norm(),
               e_rec = (g.w_rec - f_rec).norm() / f_rec.norm(),
               e_out = (g.w_out - f_out).norm() / f_out.norm();
  WARN("relative errors vs finite differences: w_in " << e_in << ", w_rec " << e_rec << ", w_out "
                                                      << e_out);
  CHECK(e_in < 1e-5);
  CHECK(e_rec < 1e-5);
  CHECK(e_out < 1e-5);

  // e-prop (symmetric feedback) equals BPTT when there is no recurrent path.
  weights w0 = w;
  w0.w_rec.setZero();
  const auto tr0 = nir_forward(w0, x, kappa, true, nullptr).tr;
  const auto e0 = compute_error(tr0.y, target, window, loss_kind::mse);
  const auto gb = bptt_gradients(tr0, e0.error, e0.window_length, w0.w_rec, w0.w_out, s, true);
  eprop_settings es;
  es.alpha = k.alpha;
  es.c_z = k.c_z;
  es.kappa = es.alpha_out = kappa;
  es.c_out = 1 - kappa;
  const auto ge = eprop_gradients_of(tr0, e0.error, e0.window_length, w0.w_out.transpose(), es);
  CHECK((ge.w_in - gb.w_in).norm() / gb.w_in.norm() < 1e-12);
  CHECK((ge.w_out - gb.w_out).norm() / gb.w_out.norm() < 1e-12);
}
