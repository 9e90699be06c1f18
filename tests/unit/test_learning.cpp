// Gradients: BPTT against central finite differences (rate networks; LIF networks with a
// smooth surrogate spike), and e-prop against BPTT: equal without recurrent weights,
// different with them.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "chaoschip/core/random.hpp"
#include "chaoschip/models/activation.hpp"
#include "chaoschip/models/bptt.hpp"
#include "chaoschip/models/eprop.hpp"
#include "chaoschip/models/loss.hpp"

using namespace chaoschip;
using namespace chaoschip::models;

namespace {

struct net_weights {
  Eigen::MatrixXd w_in, w_rec, w_out, feedback;
};

struct problem {
  Eigen::MatrixXd x, target;
  std::vector<std::uint8_t> window;
};

Eigen::MatrixXd normal_matrix(Eigen::Index r, Eigen::Index c, double scale, random_stream& rng) {
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = scale * rng.normal();
  return m;
}

problem make_problem(Eigen::Index T, Eigen::Index n_in, Eigen::Index n_out, random_stream& rng) {
  problem p;
  p.x = Eigen::MatrixXd::Zero(T, n_in);
  for (Eigen::Index i = 0; i < p.x.size(); ++i) p.x.data()[i] = rng.bernoulli(0.2) ? 1.0 : 0.0;
  p.target = normal_matrix(T, n_out, 0.5, rng);
  p.window.assign(static_cast<std::size_t>(T), 1);
  for (Eigen::Index j = 0; j < T / 4; ++j) p.window[static_cast<std::size_t>(j)] = 0;
  return p;
}

// Soft spike (integral of the pseudo-derivative) and its derivative.
double soft(double x, double v_th, double gamma) {
  const double h = gamma / v_th, w = v_th;
  if (x <= -w) return 0.0;
  if (x <= 0.0) return h * (x + w) * (x + w) / (2 * w);
  if (x <= w) return h * (w / 2 + x - x * x / (2 * w));
  return h * w;
}
double dsoft(double x, double v_th, double gamma) {
  return gamma / v_th * std::max(0.0, 1.0 - std::abs(x) / v_th);
}

enum class spike_kind { hard, soft };

// LIF forward written plainly (interval-local NEST alignment, reset by subtraction).
eprop_trajectory lif_forward(const net_weights& w, const problem& p, const bptt_settings& s,
                             double gamma, spike_kind kind) {
  const Eigen::Index T = p.x.rows(), n = w.w_rec.rows();
  eprop_trajectory tr{
      p.x, row_matrix_d(T, n), row_matrix_d(T, n), row_matrix_d(T, w.w_out.rows()), {}, {}};
  Eigen::VectorXd v = Eigen::VectorXd::Zero(n), z = Eigen::VectorXd::Zero(n),
                  a = Eigen::VectorXd::Zero(n), y = Eigen::VectorXd::Zero(w.w_out.rows());
  const bool adaptive = s.beta.size() > 0;
  for (Eigen::Index j = 0; j < T; ++j) {
    v = s.alpha * v + s.c_z * (w.w_in * p.x.row(j).transpose() + w.w_rec * z) - s.v_th * z;
    if (adaptive) a = s.rho * a + z;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double u = v[i] - s.v_th - (adaptive ? s.beta[i] * a[i] : 0.0);
      z[i] = kind == spike_kind::soft ? soft(u, s.v_th, gamma) : (u >= 0 ? 1.0 : 0.0);
      tr.psi(j, i) = dsoft(u, s.v_th, gamma);
    }
    y = s.alpha_out * y + s.c_out * w.w_out * z;
    tr.z.row(j) = z.transpose();
    tr.y.row(j) = y.transpose();
  }
  return tr;
}

// Rate forward: h_j = (1 - a) h_{j-1} + a (W r_{j-1} + W_in x_j), r = tanh(h).
eprop_trajectory rate_forward(const net_weights& w, const problem& p, const bptt_settings& s) {
  const Eigen::Index T = p.x.rows(), n = w.w_rec.rows();
  eprop_trajectory tr{
      p.x, row_matrix_d(T, n), row_matrix_d(T, n), row_matrix_d(T, w.w_out.rows()), {}, {}};
  Eigen::VectorXd h = Eigen::VectorXd::Zero(n), r = Eigen::VectorXd::Zero(n),
                  y = Eigen::VectorXd::Zero(w.w_out.rows());
  for (Eigen::Index j = 0; j < T; ++j) {
    h = s.alpha * h + s.c_z * (w.w_rec * r + w.w_in * p.x.row(j).transpose());
    r = h.array().tanh().matrix();
    y = s.alpha_out * y + s.c_out * w.w_out * r;
    tr.z.row(j) = r.transpose();
    tr.psi.row(j) = (1.0 - r.array().square()).matrix().transpose();
    tr.y.row(j) = y.transpose();
  }
  return tr;
}

double loss_of(const eprop_trajectory& tr, const problem& p, const bptt_settings& s) {
  Eigen::MatrixXd err = tr.y - p.target;
  for (Eigen::Index j = 0; j < err.rows(); ++j)
    if (!p.window[static_cast<std::size_t>(j)]) err.row(j).setZero();
  const double T = static_cast<double>(tr.z.rows());
  const Eigen::RowVectorXd rate = (tr.z.colwise().sum().array() / T - s.f_target).matrix();
  return 0.5 * err.squaredNorm() + 0.5 * s.c_reg * rate.squaredNorm();
}

// A LIF network's settings with the readout filter kappa as the readout constant.
bptt_settings lif_settings(double alpha, double c_z, double v_th, double kappa) {
  bptt_settings s;
  s.alpha = alpha;
  s.c_z = c_z;
  s.v_th = v_th;
  s.alpha_out = kappa;
  s.c_out = 1 - kappa;
  return s;
}

// e-prop settings for the same network as `s` (eligibility filter = readout constant).
eprop_settings matching(const bptt_settings& s) {
  eprop_settings es;
  es.alpha = s.alpha;
  es.c_z = s.c_z;
  es.kappa = s.alpha_out;
  es.alpha_out = s.alpha_out;
  es.c_out = s.c_out;
  es.c_reg = s.c_reg;
  es.f_target = s.f_target;
  es.rho = s.rho;
  es.beta = s.beta;
  return es;
}

// Central differences of the loss over every weight, relative error of the whole gradient.
void check_against_fd(net_weights w, const problem& p, const bptt_settings& s,
                      const std::function<eprop_trajectory(const net_weights&)>& forward,
                      const eprop_gradients& g, double eps) {
  auto fd = [&](Eigen::MatrixXd& m) {
    Eigen::MatrixXd out(m.rows(), m.cols());
    for (Eigen::Index i = 0; i < m.size(); ++i) {
      const double keep = m.data()[i];
      m.data()[i] = keep + eps;
      const double up = loss_of(forward(w), p, s);
      m.data()[i] = keep - eps;
      const double down = loss_of(forward(w), p, s);
      m.data()[i] = keep;
      out.data()[i] = (up - down) / (2 * eps);
    }
    return out;
  };
  const Eigen::MatrixXd f_in = fd(w.w_in), f_rec = fd(w.w_rec), f_out = fd(w.w_out);
  CHECK((g.w_in - f_in).norm() / f_in.norm() < 1e-5);
  CHECK((g.w_rec - f_rec).norm() / f_rec.norm() < 1e-5);
  CHECK((g.w_out - f_out).norm() / f_out.norm() < 1e-5);
}

}  // namespace

TEST_CASE("BPTT equals central finite differences on a small rate network", "[learning]") {
  random_stream rng(1, "bptt.rate");
  const Eigen::Index T = 40, n_in = 3, n = 6, n_out = 2;
  for (double gain : {0.5, 1.5}) {
    net_weights w{normal_matrix(n, n_in, 1.0, rng),
                  normal_matrix(n, n, gain / std::sqrt(6.0), rng),
                  normal_matrix(n_out, n, 0.5, rng),
                  {}};
    const problem p = make_problem(T, n_in, n_out, rng);
    bptt_settings s;
    s.alpha = 0.7;
    s.c_z = 0.3;
    s.alpha_out = 0.8;
    s.c_out = 0.2;
    const auto tr = rate_forward(w, p, s);
    const auto e = compute_error(tr.y, p.target, p.window, loss_kind::mse);
    CHECK(e.loss == Approx(loss_of(tr, p, s)).epsilon(1e-12));
    const auto g = bptt_gradients(tr, e.error, e.window_length, w.w_rec, w.w_out, s, false);
    check_against_fd(
        w, p, s, [&](const net_weights& ww) { return rate_forward(ww, p, s); }, g, 1e-6);
  }
}

TEST_CASE("BPTT equals central finite differences on a LIF network with a smooth surrogate",
          "[learning]") {
  random_stream rng(2, "bptt.lif");
  const Eigen::Index T = 60, n_in = 4, n = 5, n_out = 2;
  const double v_th = 0.5, gamma = 0.3;
  net_weights w{normal_matrix(n, n_in, 2.0, rng),
                normal_matrix(n, n, 0.6, rng),
                normal_matrix(n_out, n, 1.0, rng),
                {}};
  const problem p = make_problem(T, n_in, n_out, rng);
  for (int variant = 0; variant < 3; ++variant) {
    bptt_settings s;
    s.alpha = 0.9;
    s.c_z = 0.5;
    s.v_th = v_th;
    s.alpha_out = 0.85;
    s.c_out = 0.15;
    s.c_reg = variant == 1 ? 3.0 : 0.0;
    s.f_target = 0.05;
    s.reset_gradient = true;
    if (variant == 2) {  // ALIF: adaptive thresholds on some neurons
      s.rho = 0.95;
      s.beta = Eigen::VectorXd::Zero(n);
      s.beta.tail(3).setConstant(0.4);
    }
    INFO("variant " << variant);
    auto forward = [&](const net_weights& ww) {
      return lif_forward(ww, p, s, gamma, spike_kind::soft);
    };
    const auto tr = forward(w);
    const auto e = compute_error(tr.y, p.target, p.window, loss_kind::mse);
    const auto g = bptt_gradients(tr, e.error, e.window_length, w.w_rec, w.w_out, s, true);
    check_against_fd(w, p, s, forward, g, 1e-6);
  }
}

TEST_CASE(
    "e-prop with symmetric feedback equals BPTT exactly without recurrent weights (LIF, ALIF)",
    "[learning]") {
  random_stream rng(3, "eprop.bptt");
  const Eigen::Index T = 300, n_in = 10, n = 12, n_out = 2;
  const double v_th = 0.3, gamma = 0.3, kappa = 0.9;
  const problem p = make_problem(T, n_in, n_out, rng);
  for (bool adaptive : {false, true})
    for (double rec_scale : {0.0, 0.3}) {
      bptt_settings s = lif_settings(0.95, 0.3, v_th, kappa);
      s.c_reg = 2.0;
      s.f_target = 0.02;
      if (adaptive) {
        s.rho = 0.97;
        s.beta = Eigen::VectorXd::LinSpaced(n, 0.0, 0.5);
      }
      const eprop_settings es = matching(s);
      INFO("adaptive " << adaptive);
      net_weights w{normal_matrix(n, n_in, 1.0, rng),
                    normal_matrix(n, n, rec_scale, rng),
                    normal_matrix(n_out, n, 1.0, rng),
                    {}};
      w.w_rec.diagonal().setZero();
      const auto tr = lif_forward(w, p, s, gamma, spike_kind::hard);
      REQUIRE(tr.z.sum() > 10);  // the network spikes
      const auto e = compute_error(tr.y, p.target, p.window, loss_kind::mse);
      const auto gb = bptt_gradients(tr, e.error, e.window_length, w.w_rec, w.w_out, s, true);
      const auto ge = eprop_gradients_of(tr, e.error, e.window_length, w.w_out.transpose(), es);
      auto rel = [](const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
        return (a - b).norm() / b.norm();
      };
      INFO("recurrent weight scale " << rec_scale);
      CHECK(rel(ge.w_out, gb.w_out) < 1e-12);  // the readout gradient is exact in both
      if (rec_scale == 0.0) {
        CHECK(rel(ge.w_in, gb.w_in) < 1e-12);
        CHECK(rel(ge.w_rec, gb.w_rec) < 1e-12);
      } else {
        CHECK(rel(ge.w_in, gb.w_in) > 1e-3);
        CHECK(rel(ge.w_rec, gb.w_rec) > 1e-3);
      }
    }
}

TEST_CASE("e-prop's event-driven presynaptic path equals the dense one", "[learning]") {
  random_stream rng(4, "eprop.paths");
  const Eigen::Index T = 400, n_in = 30, n = 20, n_out = 2;
  const problem p = make_problem(T, n_in, n_out, rng);
  const bptt_settings s = lif_settings(0.95, 0.3, 0.3, 0.9);
  net_weights w{normal_matrix(n, n_in, 1.0, rng),
                normal_matrix(n, n, 0.3, rng),
                normal_matrix(n_out, n, 1.0, rng),
                {}};
  const auto tr = lif_forward(w, p, s, 0.3, spike_kind::hard);
  const auto e = compute_error(tr.y, p.target, p.window, loss_kind::mse);
  eprop_settings es = matching(s);
  es.c_reg = 1.0;
  es.f_target = 0.02;
  es.late_signal_inputs = {3, 7};
  for (bool adaptive : {false, true}) {
    if (adaptive) {
      es.rho = 0.98;
      es.beta = Eigen::VectorXd::Constant(n, 0.2);
    }
    es.presynaptic = eprop_settings::path::dense;
    const auto gd = eprop_gradients_of(tr, e.error, e.window_length, w.w_out.transpose(), es);
    es.presynaptic = eprop_settings::path::event;
    const auto ge = eprop_gradients_of(tr, e.error, e.window_length, w.w_out.transpose(), es);
    INFO("adaptive " << adaptive);
    CHECK((gd.w_in - ge.w_in).norm() / gd.w_in.norm() < 1e-12);
    CHECK((gd.w_rec - ge.w_rec).norm() / gd.w_rec.norm() < 1e-12);
    CHECK(gd.w_rec.norm() > 0);
  }
}

// The event form of a [T, n] spike matrix.
spike_list spikes_of(const row_matrix_d& m) {
  spike_list l;
  l.clear(m.cols());
  std::vector<std::uint32_t> step;
  for (Eigen::Index j = 0; j < m.rows(); ++j) {
    step.clear();
    for (Eigen::Index p = 0; p < m.cols(); ++p)
      for (double k = 0; k < m(j, p); k += 1.0) step.push_back(static_cast<std::uint32_t>(p));
    l.push_step(step);
  }
  return l;
}

TEST_CASE("e-prop reads spike lists as it reads dense spike matrices", "[learning]") {
  random_stream rng(6, "eprop.lists");
  const Eigen::Index T = 400, n_in = 30, n = 20, n_out = 2;
  problem p = make_problem(T, n_in, n_out, rng);
  p.x(5, 3) = 2.0;  // a double input spike counts twice
  const bptt_settings s = lif_settings(0.95, 0.3, 0.3, 0.9);
  net_weights w{normal_matrix(n, n_in, 1.0, rng),
                normal_matrix(n, n, 0.3, rng),
                normal_matrix(n_out, n, 1.0, rng),
                {}};
  const auto tr = lif_forward(w, p, s, 0.3, spike_kind::hard);
  REQUIRE(tr.z.sum() > 20);
  eprop_trajectory events{{}, {}, tr.psi, tr.y, spikes_of(tr.x), spikes_of(tr.z)};
  REQUIRE(events.x_events.dense() == tr.x);
  const auto e = compute_error(tr.y, p.target, p.window, loss_kind::mse);
  eprop_settings es = matching(s);
  es.c_reg = 1.0;
  es.f_target = 0.02;
  es.late_signal_inputs = {3, 7, 3};
  auto rel = [](const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    return (a - b).norm() / b.norm();
  };
  for (bool adaptive : {false, true})
    for (auto path : {eprop_settings::path::automatic, eprop_settings::path::dense,
                      eprop_settings::path::event}) {
      if (adaptive) {
        es.rho = 0.98;
        es.beta = Eigen::VectorXd::Constant(n, 0.2);
      }
      es.presynaptic = path;
      const auto gd = eprop_gradients_of(tr, e.error, e.window_length, w.w_out.transpose(), es);
      const auto ge = eprop_gradients_of(events, e.error, e.window_length, w.w_out.transpose(), es);
      INFO("adaptive " << adaptive << ", path " << static_cast<int>(path));
      CHECK(rel(ge.w_in, gd.w_in) < 1e-12);
      CHECK(rel(ge.w_rec, gd.w_rec) < 1e-12);
      CHECK(rel(ge.w_out, gd.w_out) < 1e-12);
      CHECK(gd.w_rec.norm() > 0);
      // The late learning signal, against the online trace written plainly: input p's
      // column loses L[T-1] ebar_p[T-1] once per listing, nothing else changes.
      eprop_settings no_late = es;
      no_late.late_signal_inputs.clear();
      const auto g0 =
          eprop_gradients_of(tr, e.error, e.window_length, w.w_out.transpose(), no_late);
      const Eigen::VectorXd last = w.w_out.transpose() * e.error.row(T - 1).transpose();
      for (Eigen::Index q : {3, 7, 4}) {
        Eigen::VectorXd ebar = Eigen::VectorXd::Zero(n);
        double trace = 0.0;
        for (Eigen::Index j = 0; j < T; ++j) {
          trace = es.alpha * trace + es.c_z * tr.x(j, q);
          ebar = es.kappa * ebar + ((1.0 - es.kappa) * trace) * tr.psi.row(j).transpose();
        }
        const double times = q == 3 ? 2.0 : q == 7 ? 1.0 : 0.0;
        const Eigen::VectorXd expected = g0.w_in.col(q) - times * last.cwiseProduct(ebar);
        INFO("input " << q);
        CHECK((gd.w_in.col(q) - expected).norm() / expected.norm() < 1e-12);
      }
    }
}

TEST_CASE("e-prop with integer on-chip traces approaches the exact traces as bits grow",
          "[learning]") {
  random_stream rng(5, "eprop.traces");
  const Eigen::Index T = 400, n_in = 30, n = 20, n_out = 1;
  problem p = make_problem(T, n_in, n_out, rng);
  // Sparse input (2 % per step), so the traces stay below saturation.
  for (Eigen::Index i = 0; i < p.x.size(); ++i) p.x.data()[i] = rng.bernoulli(0.02) ? 1.0 : 0.0;
  const bptt_settings s = lif_settings(0.95, 0.05, 0.3, 0.9);
  net_weights w{normal_matrix(n, n_in, 30.0, rng),
                normal_matrix(n, n, 3.0, rng),
                normal_matrix(n_out, n, 1.0, rng),
                {}};
  const auto tr = lif_forward(w, p, s, 0.3, spike_kind::hard);
  REQUIRE(tr.z.sum() > 20);
  const auto e = compute_error(tr.y, p.target, p.window, loss_kind::mse);
  const eprop_settings es = matching(s);
  const auto exact = eprop_gradients_of(tr, e.error, e.window_length, w.w_out.transpose(), es);
  auto rel_error = [&](int bits, std::uint64_t seed) {
    eprop_settings q = es;
    q.trace_bits = bits;
    q.trace_seed = seed;
    const auto g = eprop_gradients_of(tr, e.error, e.window_length, w.w_out.transpose(), q);
    return std::pair{(g.w_in - exact.w_in).norm() / exact.w_in.norm(), g.w_in};
  };
  const auto [e7, g7] = rel_error(7, 1);
  const auto [e7b, g7b] = rel_error(7, 1);
  const auto [e12, g12] = rel_error(12, 1);
  const auto [e20, g20] = rel_error(20, 1);
  CHECK(g7 == g7b);  // reproducible for a seed
  CHECK(e7 < 0.2);   // 7-bit traces: close in direction
  CHECK(e12 < e7);
  CHECK(e20 < 1e-4);  // wide traces: the exact gradient
}
