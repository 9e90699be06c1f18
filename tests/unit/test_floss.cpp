// Gradient flossing: the QR adjoint and the exact (bptt) flossing gradient against central
// finite differences; the local variant against finite differences of its own definition
// (states and previous frames held fixed) and against the exact gradient (direction); the
// models' Jacobian weight factors against finite differences of jacobian_apply.
#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <catch2/catch.hpp>

#include "chaoschip/core/floss.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/models/floss.hpp"
#include "chaoschip/models/init.hpp"
#include "chaoschip/models/lif.hpp"
#include "chaoschip/models/rate.hpp"

using namespace chaoschip;
using Catch::Matchers::WithinAbs;

namespace {

Eigen::MatrixXd gaussian(Eigen::Index r, Eigen::Index c, double scale, std::uint64_t seed) {
  random_stream rng(seed, "test.floss");
  Eigen::MatrixXd m(r, c);
  for (auto& x : m.reshaped()) x = scale * rng.normal();
  return m;
}

double max_rel_error(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want) {
  return (got - want).cwiseAbs().maxCoeff() / want.cwiseAbs().maxCoeff();
}

// A small rate problem: n neurons, n_in inputs with Bernoulli spikes, gain g.
models::rate_floss_problem problem(Eigen::Index n, std::size_t k, double g, double alpha,
                                   std::uint64_t seed) {
  models::rate_floss_problem p;
  random_stream rng(seed, "test.floss.problem");
  p.w_rec = models::gaussian_weights(n, n, g, rng);
  p.w_in = gaussian(n, 3, 0.5, seed + 1);
  p.alpha = alpha;
  p.x = models::row_matrix::Zero(30, 3);
  for (auto& v : p.x.reshaped()) v = rng.uniform() < 0.2 ? 1.0 : 0.0;
  p.h0 = gaussian(n, 1, 1.0, seed + 2);
  p.q0 = random_orthonormal(n, static_cast<Eigen::Index>(k), seed, "test.tangent");
  return p;
}

template <class F>
Eigen::MatrixXd central_differences(Eigen::MatrixXd& w, F loss, double eps) {
  Eigen::MatrixXd g(w.rows(), w.cols());
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    const double keep = w.data()[i];
    w.data()[i] = keep + eps;
    const double up = loss();
    w.data()[i] = keep - eps;
    const double down = loss();
    w.data()[i] = keep;
    g.data()[i] = (up - down) / (2.0 * eps);
  }
  return g;
}

}  // namespace

TEST_CASE("floss: the QR adjoint equals finite differences", "[floss]") {
  for (const Eigen::Index k : {1, 3, 6}) {
    const Eigen::Index n = 6;
    Eigen::MatrixXd a = gaussian(n, k, 1.0, 10 + static_cast<std::uint64_t>(k));
    const Eigen::MatrixXd q_bar = gaussian(n, k, 1.0, 20);
    const Eigen::MatrixXd r_bar = gaussian(k, k, 1.0, 21).triangularView<Eigen::Upper>();
    auto f = [&] {
      const Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
      Eigen::MatrixXd q = Eigen::MatrixXd::Identity(n, k);
      qr.householderQ().applyThisOnTheLeft(q);
      const Eigen::MatrixXd r = qr.matrixQR().topRows(k).triangularView<Eigen::Upper>();
      return (q.array() * q_bar.array()).sum() + (r.array() * r_bar.array()).sum();
    };
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
    Eigen::MatrixXd q = Eigen::MatrixXd::Identity(n, k);
    qr.householderQ().applyThisOnTheLeft(q);
    const Eigen::MatrixXd r = qr.matrixQR().topRows(k).triangularView<Eigen::Upper>();
    const Eigen::MatrixXd adjoint = models::qr_adjoint(q, r, q_bar, r_bar);
    const Eigen::MatrixXd fd = central_differences(a, f, 1e-6);
    INFO("k = " << k);
    CHECK(max_rel_error(adjoint, fd) < 1e-7);
  }
}

TEST_CASE("floss: the bptt flossing gradient equals central finite differences", "[floss]") {
  floss_options o;
  o.warmup = 5;
  o.steps = 15;
  for (const double alpha : {1.0, 0.5})
    for (const std::size_t k : {std::size_t{1}, std::size_t{3}}) {
      auto p = problem(8, k, 1.5, alpha, 3);
      o.k = k;
      o.target = 0.05;
      const floss_result res = models::floss_rate_bptt(p, o);
      const Eigen::MatrixXd fd_rec = central_differences(
          p.w_rec, [&] { return models::floss_rate_bptt(p, o).loss; }, 1e-6);
      const Eigen::MatrixXd fd_in = central_differences(
          p.w_in, [&] { return models::floss_rate_bptt(p, o).loss; }, 1e-6);
      INFO("alpha = " << alpha << ", k = " << k << ", loss " << res.loss);
      CHECK(max_rel_error(res.grad_rec, fd_rec) < 1e-5);
      CHECK(max_rel_error(res.grad_in, fd_in) < 1e-5);
    }
}

namespace {
// The local variant as a population computes it, on the same window as `p`.
floss_result local_of(const models::rate_floss_problem& p, const floss_options& o) {
  model_population<models::rate> pop(models::rate({.alpha = p.alpha}, 1.0),
                                     static_cast<std::size_t>(p.w_rec.rows()));
  pop.set_variable("h", p.h0);
  dense_projection w(p.w_rec), w_in(p.w_in);
  auto input = [&](std::int64_t t, Eigen::Ref<Eigen::VectorXd> in) {
    in += p.w_in * p.x.row(t % p.x.rows()).transpose();
  };
  return floss_local(pop, &w, input, p.q0, o);
}
}  // namespace

TEST_CASE("floss: the local gradient is d/dW of the per-step terms with states and frames fixed",
          "[floss]") {
  floss_options o;
  o.warmup = 5;
  o.steps = 15;
  for (const std::size_t k : {std::size_t{1}, std::size_t{2}}) {
    o.k = k;
    auto p = problem(7, k, 1.2, 0.5, 9);
    const floss_result local = local_of(p, o);
    const floss_result exact = models::floss_rate_bptt(p, o);
    // Same window, same exponents.
    CHECK((local.exponents - exact.exponents).cwiseAbs().maxCoeff() < 1e-12);
    CHECK_THAT(local.loss, WithinAbs(exact.loss, 1e-12));
    // The reference: trajectory h_s and frames Q_s from the unperturbed run; only the
    // Jacobian's explicit W varies: f(W') = sum_s sum_i c_i log|R_ii(D_s(W') Q_s)|.
    std::vector<Eigen::VectorXd> h{p.h0};
    std::vector<Eigen::MatrixXd> q{p.q0};
    const Eigen::Index n = p.w_rec.rows();
    for (std::int64_t s = 0; s < o.warmup + o.steps; ++s) {
      const Eigen::ArrayXd d = 1.0 - h.back().array().tanh().square();
      const Eigen::MatrixXd m =
          (1.0 - p.alpha) * q.back() + p.alpha * p.w_rec * (d.matrix().asDiagonal() * q.back());
      const Eigen::HouseholderQR<Eigen::MatrixXd> qr(m);
      Eigen::MatrixXd next = Eigen::MatrixXd::Identity(n, static_cast<Eigen::Index>(k));
      qr.householderQ().applyThisOnTheLeft(next);
      q.push_back(next);
      h.push_back((1.0 - p.alpha) * h.back() +
                  p.alpha * (p.w_rec * h.back().array().tanh().matrix() +
                             p.w_in * p.x.row(s % p.x.rows()).transpose()));
    }
    const Eigen::VectorXd c = floss_weights(exact.exponents, o.target, o.steps);
    Eigen::MatrixXd w = p.w_rec;
    auto f = [&] {
      double sum = 0.0;
      for (std::int64_t s = o.warmup; s < o.warmup + o.steps; ++s) {
        const auto i = static_cast<std::size_t>(s);
        const Eigen::ArrayXd d = 1.0 - h[i].array().tanh().square();
        const Eigen::MatrixXd m =
            (1.0 - p.alpha) * q[i] + p.alpha * w * (d.matrix().asDiagonal() * q[i]);
        const Eigen::HouseholderQR<Eigen::MatrixXd> qr(m);
        for (Eigen::Index j = 0; j < static_cast<Eigen::Index>(k); ++j)
          sum += c[j] * std::log(std::abs(qr.matrixQR()(j, j)));
      }
      return sum;
    };
    const Eigen::MatrixXd fd = central_differences(w, f, 1e-6);
    INFO("k = " << k);
    CHECK(max_rel_error(local.grad_rec, fd) < 1e-6);
  }
}

TEST_CASE("floss: local and bptt gradients point the same way", "[floss]") {
  // Cosine similarity of dL/dW_rec averaged over 10 networks (n = 10, leak 0.1: the
  // Euler-discretised rate network at dt = 0.1 tau), window 15 + 40 steps. Measured:
  // g = 0.5: 0.71; g = 1.5: 0.27 against the exact gradient, 0.58 against the gradient
  // with the trajectory held fixed (the QR chain only). At g = 1.5 the exact gradient is
  // dominated by the trajectory's sensitivity, which the local rule drops by design; the
  // issue's 0.5 is met at g = 0.5 only. The table over sizes, leaks and windows, and why, are
  // in the two tests below and in docs/flossing.md.
  floss_options o;
  o.k = 1;
  o.warmup = 15;
  o.steps = 40;
  auto mean_cosine = [&](double g, bool through_trajectory) {
    double mean = 0.0;
    const int seeds = 10;
    for (int seed = 1; seed <= seeds; ++seed) {
      auto p = problem(10, 1, g, 0.1, static_cast<std::uint64_t>(100 + seed));
      p.through_trajectory = through_trajectory;
      const Eigen::MatrixXd a = local_of(p, o).grad_rec, b = models::floss_rate_bptt(p, o).grad_rec;
      mean += a.cwiseProduct(b).sum() / (a.norm() * b.norm()) / seeds;
    }
    return mean;
  };
  const double c05 = mean_cosine(0.5, true), c15 = mean_cosine(1.5, true),
               c15_chain = mean_cosine(1.5, false);
  INFO("mean cosine: g = 0.5 " << c05 << ", g = 1.5 " << c15 << " (QR chain only " << c15_chain
                               << ")");
  CHECK(c05 > 0.5);
  CHECK(c15 > 0.1);
  CHECK(c15_chain > 0.5);
}

namespace {
// d<m, D q>/dW by central differences of jacobian_apply, against (post m)(pre q)^T.
template <class Model>
void check_weight_factors(const Model& model, Eigen::Index n, double drive_scale) {
  model_population<Model> pop(model, static_cast<std::size_t>(n));
  Eigen::MatrixXd w = gaussian(n, n, 0.5, 31);
  dense_projection proj(w);
  // A few steps of random drive so that psi, z and refractory counters are mixed.
  for (int t = 0; t < 30; ++t) {
    pop.step(t, gaussian(n, 1, drive_scale, 40 + static_cast<std::uint64_t>(t)));
  }
  const auto dim = static_cast<Eigen::Index>(pop.tangent_dim());
  const Eigen::MatrixXd q = gaussian(dim, 2, 1.0, 50), m = gaussian(dim, 2, 1.0, 51);
  Eigen::MatrixXd pre(n, 2), post(n, 2);
  pop.weight_factor_pre(q, pre);
  pop.weight_factor_post(m, post);
  const Eigen::MatrixXd analytic = post * pre.transpose();
  auto f = [&] {
    proj.assign(w);
    Eigen::MatrixXd dq = q;
    pop.jacobian_apply(&proj, dq);
    return (m.array() * dq.array()).sum();
  };
  const Eigen::MatrixXd fd = central_differences(w, f, 1e-5);
  CHECK(max_rel_error(analytic, fd) < 1e-8);
}
}  // namespace

TEST_CASE("floss: the models' Jacobian weight factors", "[floss]") {
  SECTION("rate") {
    check_weight_factors(models::rate({.alpha = 0.3}, 1.0), 6, 1.0);
  }
  SECTION("lif, delta synapses, reset by subtraction") {
    check_weight_factors(models::lif({.tau_m = 20.0, .v_th = 0.5}, 1.0), 6, 0.6);
  }
  SECTION("lif, exponential synapses, reset to a value, refractory") {
    check_weight_factors(models::lif({.tau_m = 20.0,
                                      .tau_syn = 5.0,
                                      .v_th = 0.5,
                                      .t_ref = 2.0,
                                      .reset = models::reset_mode::value},
                                     1.0),
                         6, 0.6);
  }
  SECTION("lif, delta synapses, reset to a value, refractory") {
    check_weight_factors(
        models::lif({.tau_m = 20.0, .v_th = 0.5, .t_ref = 3.0, .reset = models::reset_mode::value},
                    1.0),
        6, 0.8);
  }
  SECTION("alif") {
    check_weight_factors(
        models::lif({.tau_m = 20.0, .v_th = 0.5, .adaptive = true, .tau_a = 50.0, .beta = 0.2},
                    1.0),
        6, 0.6);
  }
}

// Prints the cosine table of docs/flossing.md ("Where the two variants differ") and checks
// the two claims made there. Alone: build/bin/unit_tests "[floss_table]" (under a second).
TEST_CASE("floss: cosine of local vs bptt over sizes, leaks and windows", "[floss][floss_table]") {
  std::printf(
      "| n | leak | window | g | cos(local, exact) | cos(local, QR chain only) |\n"
      "|---|---|---|---|---|---|\n");
  for (const Eigen::Index n : {10, 30, 100}) {
    for (const double alpha : {0.1, 0.5, 1.0}) {
      for (const auto& [warmup, steps] :
           {std::pair{15, 10}, std::pair{15, 40}, std::pair{50, 40}}) {
        floss_options o;
        o.k = 1;
        o.warmup = warmup;
        o.steps = steps;
        for (const double g : {0.5, 1.5, 3.0}) {
          double full = 0.0, chain = 0.0;
          const int seeds = 8;
          for (int seed = 1; seed <= seeds; ++seed) {
            auto p = problem(n, 1, g, alpha, static_cast<std::uint64_t>(100 + seed));
            const Eigen::MatrixXd a = local_of(p, o).grad_rec;
            auto cosine = [&](bool through_trajectory) {
              p.through_trajectory = through_trajectory;
              const Eigen::MatrixXd b = models::floss_rate_bptt(p, o).grad_rec;
              return a.cwiseProduct(b).sum() / (a.norm() * b.norm()) / seeds;
            };
            full += cosine(true);
            chain += cosine(false);
          }
          std::printf("| %ld | %.1f | %d + %d | %.1f | %.2f | %.2f |\n", static_cast<long>(n),
                      alpha, warmup, steps, g, full, chain);
          std::fflush(stdout);
          INFO("n " << n << ", leak " << alpha << ", window " << warmup << " + " << steps << ", g "
                    << g);
          // Below the transition the trajectory term is negligible: the gap is the QR chain's.
          if (g < 1.0) CHECK(std::abs(full - chain) < 0.03);
          // Above it, the trajectory term turns the exact gradient further away.
          if (g > 1.0) CHECK(chain > full);
        }
      }
    }
  }
}

TEST_CASE(
    "floss: at a fixed point, cos(local, exact) is the overlap of the left and right "
    "leading eigenvectors",
    "[floss]") {
  // h = 0, no input, g < 1: every D_s is W (plain map, phi'(0) = 1). The exact gradient of
  // lambda_1 = log|mu_1| is u (v)^T / (u^T v) (eigenvalue sensitivity, u the left and v the
  // right eigenvector); the local rule's is v v^T / |v|^2 (the forward tangent vector on both
  // sides). Their cosine is |cos(u, v)|: how non-normal W is, not an implementation detail.
  floss_options o;
  o.k = 1;
  o.warmup = 100;
  o.steps = 1000;
  int checked = 0;
  for (std::uint64_t seed = 1; checked < 5 && seed < 50; ++seed) {
    auto p = problem(20, 1, 0.5, 1.0, 300 + seed);
    p.x = models::row_matrix::Zero(1, 3);
    p.h0 = Eigen::VectorXd::Zero(20);
    const Eigen::EigenSolver<Eigen::MatrixXd> es(p.w_rec);
    const Eigen::VectorXcd mu = es.eigenvalues();
    std::vector<Eigen::Index> order(static_cast<std::size_t>(mu.size()));
    for (Eigen::Index i = 0; i < mu.size(); ++i) order[static_cast<std::size_t>(i)] = i;
    std::sort(order.begin(), order.end(),
              [&](Eigen::Index a, Eigen::Index b) { return std::abs(mu[a]) > std::abs(mu[b]); });
    // A real leading eigenvalue with a gap, so that the tangent vector settles on v.
    const std::complex<double> mu1 = mu[order[0]];
    if (std::abs(mu1.imag()) > 1e-12 || std::abs(mu[order[1]]) > 0.8 * std::abs(mu1)) continue;
    const Eigen::VectorXd v = es.eigenvectors().col(order[0]).real().normalized();
    const Eigen::EigenSolver<Eigen::MatrixXd> left(p.w_rec.transpose());
    Eigen::Index lead = 0;
    for (Eigen::Index i = 1; i < left.eigenvalues().size(); ++i)
      if (std::abs(left.eigenvalues()[i]) > std::abs(left.eigenvalues()[lead])) lead = i;
    const Eigen::VectorXd u = left.eigenvectors().col(lead).real().normalized();
    const double overlap = std::abs(u.dot(v));
    const Eigen::MatrixXd a = local_of(p, o).grad_rec;
    const floss_result exact = models::floss_rate_bptt(p, o);
    const Eigen::MatrixXd& b = exact.grad_rec;
    const double cosine = a.cwiseProduct(b).sum() / (a.norm() * b.norm());
    INFO("seed " << seed << ": cos(local, exact) " << cosine << ", |cos(u, v)| " << overlap);
    CHECK_THAT(exact.exponents[0], WithinAbs(std::log(std::abs(mu1)), 1e-2));
    CHECK_THAT(cosine, WithinAbs(overlap, 1e-3));
    ++checked;
  }
  CHECK(checked == 5);
}
