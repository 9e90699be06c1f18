#include "chaoschip/models/nir_common.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models::nir {

namespace {
std::string show(const Eigen::ArrayXd& a) {
  std::ostringstream os;
  os.precision(17);
  if (a.size() == 1) {
    os << a[0];
  } else {
    os << "[" << a.size() << " values]";
  }
  return os.str();
}
}  // namespace

namespace {
// diag(c) x for a coefficient of one value or one per row.
Eigen::MatrixXd scaled(const Eigen::ArrayXd& c, const Eigen::Ref<const Eigen::MatrixXd>& x) {
  if (c.size() == 1) return c[0] * x;
  return c.matrix().asDiagonal() * x;
}
}  // namespace

Eigen::ArrayXd widen(const Eigen::ArrayXd& a, Eigen::Index m) {
  return a.size() == m ? a : Eigen::ArrayXd::Constant(m, a[0]);
}

void require_values(const char* key, const Eigen::ArrayXd& a, bool positive) {
  if (a.size() == 0) throw parameter_error(key, "[]", "one value, or one per neuron");
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const bool ok = std::isfinite(a[i]) && (!positive || a[i] > 0.0);
    if (!ok) {
      std::ostringstream os;
      os.precision(17);
      os << a[i];
      if (a.size() > 1) os << " (neuron " << i << ")";
      throw parameter_error(key, os.str(), positive ? "numbers > 0" : "finite numbers");
    }
  }
}

Eigen::Index common_size(
    std::initializer_list<std::pair<const char*, const Eigen::ArrayXd*>> arrays) {
  Eigen::Index m = 1;
  for (const auto& [key, a] : arrays) m = std::max(m, a->size());
  for (const auto& [key, a] : arrays)
    if (a->size() != 1 && a->size() != m)
      throw parameter_error(key, show(*a),
                            "one value, or one per neuron (" + std::to_string(m) + ")");
  return m;
}

void require_population_size(const char* model, Eigen::Index m, std::size_t n) {
  if (m != 1 && static_cast<std::size_t>(m) != n)
    throw parameter_error(std::string(model) + " parameters", std::to_string(m) + " values",
                          "one value, or one per neuron (" + std::to_string(n) + ")");
}

void validate(const threshold_parameters& p) {
  require_values("neuron.v_threshold", p.v_threshold, true);
  require_values("neuron.v_reset", p.v_reset, false);
  if (!(p.gamma > 0.0 && std::isfinite(p.gamma)))
    throw parameter_error("neuron.gamma", std::to_string(p.gamma), "a number > 0");
  common_size({{"neuron.v_threshold", &p.v_threshold}, {"neuron.v_reset", &p.v_reset}});
}

void spike_and_reset(const threshold_parameters& p, Eigen::ArrayXd& v, Eigen::ArrayXd& v_pre,
                     Eigen::ArrayXd& z, Eigen::ArrayXd& psi, std::vector<std::uint32_t>& spiking) {
  spiking.clear();
  const bool subtract = p.reset == reset_mode::subtract;
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    const double th = at(p.v_threshold, i);
    v_pre[i] = v[i];
    psi[i] = p.gamma / th * std::max(0.0, 1.0 - std::abs(v[i] - th) / th);
    const bool fire = v[i] > th;
    z[i] = fire ? 1.0 : 0.0;
    if (!fire) continue;
    v[i] = subtract ? v[i] - th : at(p.v_reset, i);
    spiking.push_back(static_cast<std::uint32_t>(i));
  }
}

void derive_unspiked(const threshold_parameters& p, const Eigen::ArrayXd& v, Eigen::ArrayXd& v_pre,
                     Eigen::ArrayXd& z, Eigen::ArrayXd& psi, std::vector<std::uint32_t>& spiking) {
  v_pre = v;
  z = Eigen::ArrayXd::Zero(v.size());
  psi.resize(v.size());
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    const double th = at(p.v_threshold, i);
    psi[i] = p.gamma / th * std::max(0.0, 1.0 - std::abs(v[i] - th) / th);
  }
  spiking.clear();
}

surrogate surrogate_of(const threshold_parameters& p, const Eigen::ArrayXd& v_pre,
                       const Eigen::ArrayXd& z, const Eigen::ArrayXd& psi) {
  surrogate s{Eigen::ArrayXd(v_pre.size()), &psi};
  for (Eigen::Index i = 0; i < v_pre.size(); ++i)
    s.keep[i] = p.reset == reset_mode::subtract
                    ? 1.0 - at(p.v_threshold, i) * psi[i]
                    : 1.0 - z[i] + psi[i] * (at(p.v_reset, i) - v_pre[i]);
  return s;
}

leaky_propagator lower_leaky(const Eigen::ArrayXd& tau, const Eigen::ArrayXd& v_leak,
                             const Eigen::ArrayXd& r, double dt, integrator scheme) {
  require_values("neuron.tau", tau, true);
  require_values("neuron.v_leak", v_leak, false);
  require_values("neuron.r", r, false);
  const Eigen::Index m =
      common_size({{"neuron.tau", &tau}, {"neuron.v_leak", &v_leak}, {"neuron.r", &r}});
  const Eigen::ArrayXd x = dt / widen(tau, m);
  // v' = a v + b (v_leak + r I): a = exp(-x), b = 1 - a (exact); a = 1 - x, b = x (euler).
  const Eigen::ArrayXd b =
      scheme == integrator::exact
          ? Eigen::ArrayXd(-(-x).unaryExpr([](double e) { return std::expm1(e); }))
          : x;
  leaky_propagator p;
  p.a = scheme == integrator::exact ? Eigen::ArrayXd((-x).exp()) : Eigen::ArrayXd(1.0 - x);
  p.c = b * widen(v_leak, m);
  p.k = b * widen(r, m);
  p.uniform = m == 1;
  return p;
}

leaky_propagator lower_integrating(const Eigen::ArrayXd& r, double dt) {
  require_values("neuron.r", r, false);
  leaky_propagator p;
  p.a = Eigen::ArrayXd::Ones(r.size());
  p.c = Eigen::ArrayXd::Zero(r.size());
  p.k = dt * r;
  p.uniform = r.size() == 1;
  return p;
}

void require_dt(double dt) {
  if (!(dt > 0.0 && std::isfinite(dt)))
    throw parameter_error("network.dt", std::to_string(dt), "a number > 0");
}

void leaky_jacobian_apply(const leaky_propagator& p, const projection* w,
                          Eigen::Ref<Eigen::MatrixXd> q, const surrogate* spike) {
  Eigen::MatrixXd wdz = Eigen::MatrixXd::Zero(q.rows(), q.cols());
  if (w) w->apply(spike ? scaled(*spike->psi, q) : Eigen::MatrixXd(q), wdz);
  q = scaled(p.a, spike ? scaled(spike->keep, q) : Eigen::MatrixXd(q)) + scaled(p.k, wdz);
}

void leaky_weight_factor_pre(const Eigen::ArrayXd* psi, const Eigen::Ref<const Eigen::MatrixXd>& q,
                             Eigen::Ref<Eigen::MatrixXd> pre) {
  pre = psi ? scaled(*psi, q) : Eigen::MatrixXd(q);
}

void leaky_weight_factor_post(const leaky_propagator& p, const Eigen::Ref<const Eigen::MatrixXd>& m,
                              Eigen::Ref<Eigen::MatrixXd> post) {
  post = scaled(p.k, m);
}

void cuba_jacobian_apply(const cuba_propagator& p, const projection* w,
                         Eigen::Ref<Eigen::MatrixXd> q, const surrogate* spike) {
  const Eigen::Index n = q.rows() / 2;
  auto dv = q.topRows(n);
  auto di = q.bottomRows(n);
  Eigen::MatrixXd wdz = Eigen::MatrixXd::Zero(n, q.cols());
  if (w) w->apply(spike ? scaled(*spike->psi, dv) : Eigen::MatrixXd(dv), wdz);
  const Eigen::MatrixXd dv_post = spike ? scaled(spike->keep, dv) : Eigen::MatrixXd(dv);
  const Eigen::MatrixXd di1 = scaled(p.ai, di) + scaled(p.bi, wdz);
  const Eigen::MatrixXd dv1 =
      scaled(p.av, dv_post) + scaled(p.k0, di) + scaled(p.ki, wdz) + scaled(p.k1, di1);
  dv = dv1;
  di = di1;
}

void cuba_weight_factor_pre(const Eigen::ArrayXd* psi, const Eigen::Ref<const Eigen::MatrixXd>& q,
                            Eigen::Ref<Eigen::MatrixXd> pre) {
  const Eigen::Index n = q.rows() / 2;
  pre = psi ? scaled(*psi, q.topRows(n)) : Eigen::MatrixXd(q.topRows(n));
}

void cuba_weight_factor_post(const cuba_propagator& p, const Eigen::Ref<const Eigen::MatrixXd>& m,
                             Eigen::Ref<Eigen::MatrixXd> post) {
  const Eigen::Index n = m.rows() / 2;
  const Eigen::ArrayXd via_v = p.ki + p.k1 * p.bi;
  post = scaled(via_v, m.topRows(n)) + scaled(p.bi, m.bottomRows(n));
}

cuba_propagator lower_cuba(const cuba_parameters& q, double dt, integrator scheme) {
  require_values("neuron.tau_syn", q.tau_syn, true);
  require_values("neuron.tau_mem", q.tau_mem, true);
  require_values("neuron.r", q.r, false);
  require_values("neuron.v_leak", q.v_leak, false);
  require_values("neuron.w_in", q.w_in, false);
  const Eigen::Index m = common_size({{"neuron.tau_syn", &q.tau_syn},
                                      {"neuron.tau_mem", &q.tau_mem},
                                      {"neuron.r", &q.r},
                                      {"neuron.v_leak", &q.v_leak},
                                      {"neuron.w_in", &q.w_in}});
  const Eigen::ArrayXd ts = widen(q.tau_syn, m), tm = widen(q.tau_mem, m), r = widen(q.r, m),
                       w_in = widen(q.w_in, m), v_leak = widen(q.v_leak, m);
  cuba_propagator p;
  p.uniform = m == 1;
  const Eigen::ArrayXd zero = Eigen::ArrayXd::Zero(m);
  if (scheme == integrator::euler) {
    p.ai = 1.0 - dt / ts;
    p.bi = dt / ts * w_in;
    p.av = 1.0 - dt / tm;
    p.cv = dt / tm * v_leak;
    p.k0 = p.ki = zero;
    p.k1 = dt / tm * r;
    return p;
  }
  const Eigen::ArrayXd as = (-dt / ts).exp(), am = (-dt / tm).exp();
  // Response of v to a unit current decaying with tau_syn, after one step:
  // K = ts/(ts - tm) (as - am) = am ts expm1(dt (ts - tm)/(tm ts)) / (ts - tm), which is
  // dt/tm am in the limit tm == ts (written with expm1 so it stays accurate near it).
  Eigen::ArrayXd kern(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    const double d = ts[i] - tm[i];
    kern[i] =
        d == 0.0 ? dt / tm[i] * am[i] : am[i] * ts[i] * std::expm1(dt * d / (tm[i] * ts[i])) / d;
  }
  p.ai = as;
  p.bi = (1.0 - as) * w_in;
  p.av = am;
  p.cv = (1.0 - am) * v_leak;
  // v' = am v + (1 - am)(v_leak + r w_in I) + r K (i - w_in I)
  p.k0 = r * kern;
  p.ki = r * w_in * (1.0 - am - kern);
  p.k1 = zero;
  return p;
}

}  // namespace chaoschip::models::nir
