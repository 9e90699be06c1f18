#include "chaoschip/core/lyapunov.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <Eigen/QR>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/core/thread_pool.hpp"

namespace chaoschip {

void tangent_system::apply(Eigen::Ref<Eigen::MatrixXd>) const {
  throw error("this system applies its Jacobian only together with a step");
}

void tangent_system::step(Eigen::Ref<Eigen::MatrixXd> q) {
  apply(q);
  advance();
}

void tangent_system::jacobian_matrix(Eigen::MatrixXd&) const {
  throw error("this system cannot form its Jacobian as a matrix");
}

void tangent_system::set_state(const Eigen::Ref<const Eigen::VectorXd>&) {
  throw error("this system cannot set its state (no twin trajectories)");
}

namespace {

void check_options(const tangent_system& sys, const lyapunov_options& o) {
  const std::size_t n = sys.dim();
  if (n == 0) throw error("lyapunov: the system has no tangent space");
  if (o.k < 1 || o.k > n)
    throw parameter_error("lyapunov.k", std::to_string(o.k),
                          "an integer in [1, " + std::to_string(n) + "] (the tangent dimension)");
  if (o.steps < 1) throw parameter_error("lyapunov.steps", std::to_string(o.steps), ">= 1");
  if (o.warmup < 0) throw parameter_error("lyapunov.warmup", std::to_string(o.warmup), ">= 0");
  if (o.ons_interval < 1)
    throw parameter_error("lyapunov.ons_interval", std::to_string(o.ons_interval), ">= 1");
  if (o.block < 1) throw parameter_error("lyapunov.block", std::to_string(o.block), ">= 1");
}

// f on fixed blocks of o.block columns of m (the same blocks for every pool size, so
// results do not depend on the number of threads), in parallel when a pool is given.
template <class F>
void for_column_blocks(Eigen::MatrixXd& m, const lyapunov_options& o, F f) {
  const auto cols = static_cast<std::size_t>(m.cols());
  const std::size_t blocks = (cols + o.block - 1) / o.block;
  auto one = [&](std::size_t b) {
    auto block = m.middleCols(static_cast<Eigen::Index>(b * o.block),
                              static_cast<Eigen::Index>(std::min(o.block, cols - b * o.block)));
    f(block);
  };
  if (o.pool && blocks > 1)
    o.pool->parallel_for(blocks, one);
  else
    for (std::size_t b = 0; b < blocks; ++b) one(b);
}

// One step of trajectory and tangent vectors; separable systems apply the Jacobian to
// column blocks.
void propagate(tangent_system& sys, Eigen::MatrixXd& q, const lyapunov_options& o) {
  if (!sys.separable()) {
    sys.step(q);
    return;
  }
  for_column_blocks(q, o, [&](auto& block) { sys.apply(block); });
  sys.advance();
}

// The full-spectrum path (k = dim, a QR every step, a Jacobian formed in O(dim^2)): Q is
// never formed. The next step's D Q is taken with Q still in Householder form, its
// reflectors applied to D from the right as (Q^T D^T)^T. Eigen applies them blocked, from
// the left, to fixed blocks of D^T's columns, in parallel when a pool is given. That is
// 2 dim^3 flops in place of the product (2 dim^3) plus forming Q (about 2 dim^3 in Eigen).
void propagate_implicit(tangent_system& sys, const Eigen::HouseholderQR<Eigen::MatrixXd>& qr,
                        Eigen::MatrixXd& d, Eigen::MatrixXd& dt, Eigen::MatrixXd& q,
                        const lyapunov_options& o) {
  sys.jacobian_matrix(d);
  dt = d.transpose();
  for_column_blocks(dt, o,
                    [&](auto& block) { qr.householderQ().transpose().applyThisOnTheLeft(block); });
  q = dt.transpose();
  sys.advance();
}

// Steps s (0-based, of warmup + steps) after which a QR (or a twin renormalisation) is
// due: every ons_interval steps within each phase, and at the end of each phase, so the
// counted sum covers exactly the counted steps.
bool boundary(std::int64_t s, const lyapunov_options& o) {
  const std::int64_t done = s + 1;
  if (done <= o.warmup) return done % o.ons_interval == 0 || done == o.warmup;
  const std::int64_t counted = done - o.warmup;
  return counted % o.ons_interval == 0 || counted == o.steps;
}

}  // namespace

lyapunov_result lyapunov_spectrum(tangent_system& sys, const lyapunov_options& o) {
  check_options(sys, o);
  const auto n = static_cast<Eigen::Index>(sys.dim());
  const auto k = static_cast<Eigen::Index>(o.k);

  // Random orthonormal start from its own stream.
  random_stream rng(o.seed, "lyapunov.tangent");
  Eigen::MatrixXd q(n, k);
  for (Eigen::Index j = 0; j < k; ++j)
    for (Eigen::Index i = 0; i < n; ++i) q(i, j) = rng.normal();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(n, k);
  const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(n, k);
  // Q' of the last factorisation: the full product of reflectors when k = n (Eigen's
  // blocked evaluation is the faster route there), else applied to the first k columns of I.
  auto form_q = [&] {
    if (k == n) {
      q = qr.householderQ();
    } else {
      q = identity;
      qr.householderQ().applyThisOnTheLeft(q);
    }
  };
  const bool implicit_q =
      k == n && o.ons_interval == 1 && sys.separable() && sys.has_jacobian_matrix();
  Eigen::MatrixXd d, dt;  // the implicit path's Jacobian and its transpose
  qr.compute(q);
  if (!implicit_q) form_q();

  lyapunov_result out;
  Eigen::VectorXd sums = Eigen::VectorXd::Zero(k);
  Eigen::VectorXd logs(k);
  std::int64_t counted = 0;
  const std::int64_t every =
      std::max<std::int64_t>(1, (o.steps + std::max<std::int64_t>(o.checkpoints, 1) - 1) /
                                    std::max<std::int64_t>(o.checkpoints, 1));
  std::int64_t next_mark = every;
  std::vector<double> history;
  const std::int64_t total = o.warmup + o.steps;

  for (std::int64_t s = 0; s < total; ++s) {
    if (implicit_q)
      propagate_implicit(sys, qr, d, dt, q, o);
    else
      propagate(sys, q, o);
    if (o.progress) o.progress(s + 1, total);
    if (!boundary(s, o)) continue;
    qr.compute(q);
    const auto& r = qr.matrixQR();
    double rmax = 0.0, rmin = std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < k; ++i) {
      const double a = std::abs(r(i, i));
      if (std::isnan(a))
        throw numerical_error("lyapunov", s, "tangent vectors became NaN (Jacobian not finite)");
      // As flossing: a collapsed or overflowing tangent vector would give an exponent of
      // -inf or +inf and an infinite cond, results that must not be written.
      if (a == 0.0 || std::isinf(a))
        throw numerical_error(
            "lyapunov", s,
            std::string(a == 0.0 ? "R_ii = 0" : "R_ii = inf") + " for tangent vector " +
                std::to_string(i) +
                (a == 0.0 ? " (the Jacobian is singular: the exponent would be -inf)"
                          : " (the tangent vector overflowed: the exponent would be +inf)"));
      logs[i] = std::log(a);
      rmax = std::max(rmax, a);
      rmin = std::min(rmin, a);
    }
    const double cond = rmax / rmin;
    if (!std::isfinite(cond))
      throw numerical_error("lyapunov", s, "the condition number of R is not finite");
    out.cond.push_back(cond);
    if (!implicit_q) form_q();

    if (s + 1 > o.warmup) {
      sums += logs;
      counted = s + 1 - o.warmup;
      if (counted >= next_mark || counted == o.steps) {
        for (Eigen::Index i = 0; i < k; ++i)
          history.push_back(sums[i] / static_cast<double>(counted));
        out.checkpoint_steps.push_back(counted);
        while (next_mark <= counted) next_mark += every;
      }
    }
  }

  out.counted_steps = counted;
  out.exponents = sums / static_cast<double>(counted);
  std::sort(out.exponents.data(), out.exponents.data() + k, std::greater<>());
  out.convergence =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          history.data(), static_cast<Eigen::Index>(out.checkpoint_steps.size()), k);
  out.kaplan_yorke = kaplan_yorke_dimension(out.exponents, sys.dim());
  out.entropy_rate = 0.0;
  for (Eigen::Index i = 0; i < k; ++i)
    if (out.exponents[i] > 0.0) out.entropy_rate += out.exponents[i];
  return out;
}

double twin_largest_exponent(tangent_system& sys, tangent_system& twin, const lyapunov_options& o,
                             double epsilon) {
  check_options(sys, o);
  if (!(epsilon > 0.0))
    throw parameter_error("lyapunov.twin_epsilon", std::to_string(epsilon), "a number > 0");
  const Eigen::VectorXd s0 = sys.state();
  if (s0.size() == 0) throw error("lyapunov: this model does not support twin trajectories");
  random_stream rng(o.seed, "lyapunov.twin");
  Eigen::VectorXd u(s0.size());
  for (auto& x : u) x = rng.normal();
  twin.set_state(s0 + (epsilon / u.norm()) * u);

  double sum = 0.0;
  const std::int64_t total = o.warmup + o.steps;
  for (std::int64_t s = 0; s < total; ++s) {
    sys.advance();
    twin.advance();
    if (!boundary(s, o)) continue;
    const Eigen::VectorXd a = sys.state();
    const Eigen::VectorXd d = twin.state() - a;
    const double nd = d.norm();
    if (!std::isfinite(nd) || nd == 0.0)
      throw numerical_error("lyapunov twin", s,
                            nd == 0.0 ? "the twin trajectories merged (distance 0)"
                                      : "the twin trajectory is not finite");
    if (s + 1 > o.warmup) sum += std::log(nd / epsilon);
    twin.set_state(a + (epsilon / nd) * d);
  }
  return sum / static_cast<double>(o.steps);
}

double kaplan_yorke_dimension(const Eigen::VectorXd& l, std::size_t full_dim) {
  const Eigen::Index k = l.size();
  if (k == 0 || l[0] < 0.0) return 0.0;
  double partial = 0.0;
  for (Eigen::Index j = 0; j < k; ++j) {
    if (partial + l[j] < 0.0) return static_cast<double>(j) + partial / std::abs(l[j]);
    partial += l[j];
  }
  // Every partial sum is >= 0: the dimension is k only if the spectrum is complete.
  return static_cast<std::size_t>(k) == full_dim ? static_cast<double>(k)
                                                 : std::numeric_limits<double>::quiet_NaN();
}

population_tangent_system::population_tangent_system(population& pop, const projection* recurrent,
                                                     input_fn external)
    : pop_(&pop),
      recurrent_(recurrent),
      external_(std::move(external)),
      input_(Eigen::VectorXd::Zero(static_cast<Eigen::Index>(pop.size()))),
      vars_(pop.variables()),
      jac_(pop, recurrent) {
  if (pop.continuous_coupling()) pop.set_coupling(recurrent);
}

namespace {
// The input of step t: external input plus, with delay 1, the population's output of the
// previous step through its recurrent projection. Continuous coupling is integrated
// inside the model instead.
void gather_input(const population& pop, const projection* recurrent,
                  const population_tangent_system::input_fn& external, std::int64_t t,
                  Eigen::VectorXd& input) {
  input.setZero();
  if (external) external(t, input);
  if (recurrent && !pop.continuous_coupling()) {
    if (pop.output() == output_kind::spikes)
      recurrent->deliver_spikes(pop.spikes(), input.data());
    else
      recurrent->deliver_rates(pop.graded(), input);
  }
}
}  // namespace

const Eigen::VectorXd& population_tangent_system::input_now() {
  gather_input(*pop_, recurrent_, external_, t_, input_);
  return input_;
}

void population_tangent_system::apply(Eigen::Ref<Eigen::MatrixXd> q) const {
  jac_.apply(*pop_, recurrent_, q);
}

dense_jacobian::dense_jacobian(const population& pop, const projection* recurrent)
    : available_(pop.separable_tangent() && pop.has_diagonal_jacobian() &&
                 pop.tangent_dim() == pop.size()) {
  if (available_ && recurrent) w_ = recurrent->to_dense();
}

void dense_jacobian::form(const population& pop, Eigen::MatrixXd& d) const {
  pop.diagonal_jacobian(a_, c_, s_);
  const auto n = static_cast<Eigen::Index>(pop.size());
  if (w_.size() > 0)
    d.noalias() = c_.asDiagonal() * w_ * s_.asDiagonal();
  else
    d.setZero(n, n);
  d.diagonal() += a_;
}

void dense_jacobian::apply(const population& pop, const projection* recurrent,
                           Eigen::Ref<Eigen::MatrixXd> q) const {
  if (!available_) {
    pop.jacobian_apply(recurrent, q);
    return;
  }
  Eigen::VectorXd a, c, s;  // locals: blocks may run concurrently
  pop.diagonal_jacobian(a, c, s);
  if (w_.size() == 0) {
    q = a.asDiagonal() * q;
    return;
  }
  // Row-major throughout: Eigen's product of a row-major N x N and a thin row-major N x k
  // matrix is about 1.4x faster than the column-major one at N = 1000.
  using rows = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const rows sq = s.asDiagonal() * q;
  rows wq(q.rows(), q.cols());
  wq.noalias() = w_ * sq;
  q = a.asDiagonal() * q + c.asDiagonal() * wq;
}

void population_tangent_system::advance() {
  pop_->step(t_, input_now());
  ++t_;
}

void population_tangent_system::step(Eigen::Ref<Eigen::MatrixXd> q) {
  pop_->step_tangent(t_, input_now(), recurrent_, q);
  ++t_;
}

Eigen::VectorXd population_tangent_system::state() const {
  const auto n = static_cast<Eigen::Index>(pop_->size());
  Eigen::VectorXd s(n * static_cast<Eigen::Index>(vars_.size()));
  for (std::size_t v = 0; v < vars_.size(); ++v)
    s.segment(static_cast<Eigen::Index>(v) * n, n) = pop_->variable(vars_[v]);
  return s;
}

void population_tangent_system::set_state(const Eigen::Ref<const Eigen::VectorXd>& s) {
  const auto n = static_cast<Eigen::Index>(pop_->size());
  if (s.size() != n * static_cast<Eigen::Index>(vars_.size()))
    throw error("lyapunov: state of size " + std::to_string(s.size()) + ", expected " +
                std::to_string(n * static_cast<Eigen::Index>(vars_.size())));
  for (std::size_t v = 0; v < vars_.size(); ++v)
    pop_->set_variable(vars_[v], s.segment(static_cast<Eigen::Index>(v) * n, n));
}

replay_tangent_system::replay_tangent_system(population& pop, const projection* recurrent,
                                             std::vector<std::pair<std::string, rows_t>> states,
                                             input_fn external, std::int64_t t0)
    : pop_(&pop),
      recurrent_(recurrent),
      states_(std::move(states)),
      external_(std::move(external)),
      t0_(t0),
      input_(Eigen::VectorXd::Zero(static_cast<Eigen::Index>(pop.size()))),
      jac_(pop, recurrent) {
  if (pop.continuous_coupling()) pop.set_coupling(recurrent);
  for (const auto& var : pop.variables()) {
    const auto it =
        std::find_if(states_.begin(), states_.end(), [&](const auto& s) { return s.first == var; });
    if (it == states_.end())
      throw error("recorded states lack variable '" + var + "' of the " + std::string(pop.model()) +
                  " population");
  }
  for (const auto& [var, rows] : states_) {
    if (rows.cols() != static_cast<Eigen::Index>(pop.size()))
      throw error("recorded variable '" + var + "' has " + std::to_string(rows.cols()) +
                  " columns, expected " + std::to_string(pop.size()) + " (neurons)");
    if (rows_ != 0 && rows.rows() != rows_)
      throw error("recorded variables have different numbers of rows");
    rows_ = rows.rows();
  }
  if (rows_ < 2) throw error("a recorded trajectory needs at least 2 rows");
  load(0);
}

void replay_tangent_system::load(std::int64_t row) {
  row_ = row;
  if (row >= rows_) throw error("the recorded trajectory is too short for the requested steps");
  const auto vars = pop_->variables();
  for (const auto& [var, rows] : states_)
    if (std::find(vars.begin(), vars.end(), var) != vars.end())
      pop_->set_variable(var, rows.row(row).transpose());
}

void replay_tangent_system::apply(Eigen::Ref<Eigen::MatrixXd> q) const {
  jac_.apply(*pop_, recurrent_, q);
}

void replay_tangent_system::advance() {
  load(row_ + 1);
}

void replay_tangent_system::step(Eigen::Ref<Eigen::MatrixXd> q) {
  if (separable()) {
    apply(q);
  } else {
    gather_input(*pop_, recurrent_, external_, t0_ + row_, input_);
    pop_->step_tangent(t0_ + row_, input_, recurrent_, q);
  }
  load(row_ + 1);
}

}  // namespace chaoschip
