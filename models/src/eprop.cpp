#include "chaoschip/models/eprop.hpp"

#include <cmath>
#include <string>
#include <type_traits>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/random.hpp"

namespace chaoschip::models {

row_matrix_d spike_list::dense() const {
  row_matrix_d m = row_matrix_d::Zero(steps(), n);
  for (Eigen::Index j = 0; j < steps(); ++j)
    for (auto p : at(j)) m(j, p) += 1.0;
  return m;
}

namespace {

// x or z as the rule reads it: the dense matrix, or, when that is empty, the spike list.
class activity {
 public:
  activity(const row_matrix_d& dense, const spike_list& events)
      : dense_(dense), events_(events), use_events_(dense.size() == 0 && events.steps() > 0) {}

  bool events() const noexcept { return use_events_; }
  Eigen::Index steps() const noexcept { return use_events_ ? events_.steps() : dense_.rows(); }
  Eigen::Index size() const noexcept { return use_events_ ? events_.n : dense_.cols(); }
  // Fraction of nonzero entries (the automatic path choice).
  double density() const {
    const double nonzero = use_events_ ? static_cast<double>(events_.ids.size())
                                       : static_cast<double>((dense_.array() != 0.0).count());
    return nonzero / static_cast<double>(steps() * size() + 1);
  }
  Eigen::RowVectorXd column_sums() const {
    if (!use_events_) return dense_.colwise().sum();
    Eigen::RowVectorXd s = Eigen::RowVectorXd::Zero(size());
    for (auto p : events_.ids) s[p] += 1.0;
    return s;
  }
  // f(p, count) for every nonzero entry of step j.
  template <class F>
  void for_each(Eigen::Index j, F&& f) const {
    if (use_events_) {
      for (auto p : events_.at(j)) f(static_cast<Eigen::Index>(p), 1.0);
      return;
    }
    const double* row = dense_.row(j).data();
    for (Eigen::Index p = 0; p < dense_.cols(); ++p)
      if (row[p] != 0.0) f(p, row[p]);
  }
  // The dense [T, n] matrix, built into `storage` from the events if needed.
  const row_matrix_d& matrix(row_matrix_d& storage) const {
    if (!use_events_) return dense_;
    storage = events_.dense();
    return storage;
  }

 private:
  const row_matrix_d& dense_;
  const spike_list& events_;
  bool use_events_;
};

// column += c * v over n entries (c * v as one product, then the sum: the same rounding as
// Eigen's `column += c * v`, without the expression overhead per spike).
inline void add_scaled(double* __restrict column, const double* __restrict v, double c,
                       Eigen::Index n) {
  for (Eigen::Index r = 0; r < n; ++r) column[r] += c * v[r];
}
inline void add(double* __restrict column, const double* __restrict v, Eigen::Index n) {
  for (Eigen::Index r = 0; r < n; ++r) column[r] += v[r];
}

// The backward pass's per-step vector operations, as functions so that the compiler knows
// (from __restrict on parameters, which GCC honours unlike on local pointers) that the
// arrays do not overlap and vectorises the loops.
inline void scale(double* __restrict out, const double* __restrict v, double c, Eigen::Index n) {
  for (Eigen::Index r = 0; r < n; ++r) out[r] = v[r] * c;
}
// lambda = (rho - beta psi_next) lambda - beta psi_next w_next
inline void adaptation_step(double* __restrict lambda, const double* __restrict beta,
                            const double* __restrict psi_next, const double* __restrict w_next,
                            double rho, Eigen::Index n) {
  for (Eigen::Index r = 0; r < n; ++r) {
    const double bp = beta[r] * psi_next[r];
    lambda[r] = (rho - bp) * lambda[r] - bp * w_next[r];
  }
}

struct backward_constants {
  double kappa, one_minus_kappa, alpha;
};

// One backward step over the neurons, fused so that each array is read and written once:
//   filtered = kappa filtered + (1 - kappa) learning,  learning = b e,  w = filtered + reg,
//   fac = psi (w + lambda),  back = fac + alpha back
// and, for the late learning signal, h = late_gain psi + alpha h. With one readout b is B's
// column and e the error; with more, b is L = B E summed before and e = 1 (exact). The loop
// is bound by its loads and stores, so only what is needed is touched: w and lambda only
// with adaptation (lambda is 0 without), fac only for the dense paths (and c_z back is
// formed where a spike adds it).
template <bool Late, bool Adaptive, bool KeepFac>
inline void backward_step(double* __restrict filtered, double* __restrict w, double* __restrict fac,
                          double* __restrict back, double* __restrict h, const double* __restrict b,
                          double e, const double* __restrict reg, const double* __restrict lambda,
                          const double* __restrict psi, backward_constants k, double late_gain,
                          Eigen::Index n) {
  for (Eigen::Index r = 0; r < n; ++r) {
    const double f = k.kappa * filtered[r] + k.one_minus_kappa * (b[r] * e);
    filtered[r] = f;
    const double wr = f + reg[r];
    if constexpr (Adaptive) w[r] = wr;
    const double a = Adaptive ? psi[r] * (wr + lambda[r]) : psi[r] * wr;
    if constexpr (KeepFac) fac[r] = a;
    back[r] = a + k.alpha * back[r];
    if constexpr (Late) h[r] = late_gain * psi[r] + k.alpha * h[r];
  }
}

// f(std::bool_constant<a>, std::bool_constant<b>, std::bool_constant<c>): run-time flags
// as compile-time ones, for the specialised loops above.
template <class F>
void with_flags(bool a, bool b, bool c, F&& f) {
  auto third = [&](auto x, auto y) { c ? f(x, y, std::true_type{}) : f(x, y, std::false_type{}); };
  auto second = [&](auto x) { b ? third(x, std::true_type{}) : third(x, std::false_type{}); };
  a ? second(std::true_type{}) : second(std::false_type{});
}

// Which presynaptic path each matrix takes (see eprop_settings::path); the readout's
// presynaptic sum is event-driven when the spikes come as a list.
struct presynaptic_paths {
  bool in = false, rec = false, out = false;  // event-driven (else dense matrix products)
};

presynaptic_paths paths_of(const activity& x, const activity& z, const eprop_settings& s) {
  auto event_path = [&](const activity& a) {
    if (s.presynaptic != eprop_settings::path::automatic)
      return s.presynaptic == eprop_settings::path::event;
    return a.density() < 0.25;
  };
  const bool chip_traces = s.trace_bits > 0;
  return {!chip_traces && event_path(x), !chip_traces && event_path(z), z.events()};
}

// The presynaptic traces of the dense paths, [T, n] (empty for the event paths).
struct presynaptic_traces {
  row_matrix_d in, rec, out;
};

presynaptic_traces forward_traces(const eprop_trajectory& tr, const activity& x, const activity& z,
                                  const eprop_settings& s, presynaptic_paths paths) {
  const bool event_in = paths.in, event_rec = paths.rec, event_out = paths.out;
  const bool chip_traces = s.trace_bits > 0;
  const Eigen::Index T = tr.psi.rows(), n_rec = tr.psi.cols(), n_in = x.size();
  presynaptic_traces out;
  row_matrix_d& zbar_in = out.in;
  row_matrix_d& zbar_rec = out.rec;
  row_matrix_d& zbar_out = out.out;
  row_matrix_d x_storage, z_storage;
  if (!event_in || !event_rec || !event_out) {
    const row_matrix_d& xd = event_in ? tr.x : x.matrix(x_storage);
    const row_matrix_d& zd = event_rec && event_out ? tr.z : z.matrix(z_storage);
    if (!event_in) zbar_in.resize(T, n_in);
    if (!event_rec) zbar_rec.resize(T, n_rec);
    if (!event_out) zbar_out.resize(T, n_rec);
    Eigen::RowVectorXd a = Eigen::RowVectorXd::Zero(n_in), b = Eigen::RowVectorXd::Zero(n_rec),
                       o = Eigen::RowVectorXd::Zero(n_rec);
    // Integer traces: codes per presynaptic neuron, in units of c_z / impulse (Loihi) or
    // of 2^-trace_frac_bits (generic fixed point).
    const bool generic = s.trace_frac_bits >= 0;
    const double impulse = !chip_traces ? 0.0
                           : generic    ? std::round(s.c_z * std::ldexp(1.0, s.trace_frac_bits))
                                        : std::ldexp(1.0, s.trace_bits - 2);
    const double top = chip_traces ? std::ldexp(1.0, s.trace_bits) - 1.0 : 0.0;
    const double code_value = !chip_traces ? 0.0
                              : generic    ? std::ldexp(1.0, -s.trace_frac_bits)
                                           : s.c_z / impulse;
    const auto mode = generic ? s.trace_rounding : eprop_settings::rounding::stochastic;
    random_stream rounding_draws(s.trace_seed, "eprop.traces");
    auto chip_trace = [&](Eigen::RowVectorXd& code, const auto& spikes) {
      for (Eigen::Index p = 0; p < code.size(); ++p) {
        const double decayed = code[p] * s.alpha;
        const double r = mode == eprop_settings::rounding::nearest ? std::nearbyint(decayed)
                         : mode == eprop_settings::rounding::floor
                             ? std::floor(decayed)
                             : std::floor(decayed + rounding_draws.uniform());
        code[p] = std::min(top, r + impulse * spikes[p]);
      }
    };
    for (Eigen::Index j = 0; j < T; ++j) {
      if (chip_traces) {
        chip_trace(a, xd.row(j));
        zbar_in.row(j) = code_value * a;
        if (j > 0) chip_trace(b, zd.row(j - 1));
        zbar_rec.row(j) = code_value * b;
      } else {
        if (!event_in) {
          a = s.alpha * a + s.c_z * xd.row(j);
          zbar_in.row(j) = a;
        }
        if (!event_rec) {
          if (j > 0) b = s.alpha * b + s.c_z * zd.row(j - 1);
          zbar_rec.row(j) = b;
        }
      }
      if (!event_out) {
        o = s.alpha_out * o + s.c_out * zd.row(j);
        zbar_out.row(j) = o;
      }
    }
  }
  return out;
}

// NEST's late learning signal (see eprop_settings): for each such input p, ebar_rp[T-1] =
// sum_j (1 - kappa) kappa^(T-1-j) psi_r[j] zbar_p[j] = c_z sum over p's spikes l of H_r[l],
// with H[l] = G[l] + alpha H[l+1], G[j] = (1 - kappa) kappa^(T-1-j) psi[j]: one backward
// filter shared by all late inputs instead of a T x n_rec pass per input.
struct late_signal {
  bool on = false;
  std::vector<Eigen::Index> slot;  // per input: column of ebar, or -1
  Eigen::MatrixXd ebar;            // [n_rec, distinct late inputs]
};

late_signal late_signal_of(const eprop_settings& s, Eigen::Index n_in, Eigen::Index n_rec) {
  late_signal l;
  l.on = !s.late_signal_inputs.empty();
  if (!l.on) return l;
  l.slot.assign(static_cast<std::size_t>(n_in), -1);
  Eigen::Index distinct = 0;
  for (auto p : s.late_signal_inputs) {
    if (static_cast<Eigen::Index>(p) >= n_in)
      throw error("eprop_gradients_of: late-signal input " + std::to_string(p) + " >= n_in");
    if (l.slot[p] < 0) l.slot[p] = distinct++;
  }
  l.ebar = Eigen::MatrixXd::Zero(n_rec, distinct);
  return l;
}

// L[j] = B E[j]. With one readout, B's column is returned and its error set in `e`
// (multiplied in backward_step); else `learning` holds the sum and e = 1.
inline const double* learning_signal(const Eigen::MatrixXd& feedback, const Eigen::MatrixXd& err,
                                     Eigen::Index j, Eigen::VectorXd& learning, double& e) {
  const Eigen::Index n_out = err.cols(), n_rec = feedback.rows();
  if (n_out == 1) {
    e = err(j, 0);
    return feedback.col(0).data();
  }
  for (Eigen::Index k = 0; k < n_out; ++k) {
    if (k == 0)
      scale(learning.data(), feedback.col(k).data(), err(j, k), n_rec);
    else
      add_scaled(learning.data(), feedback.col(k).data(), err(j, k), n_rec);
  }
  e = 1.0;
  return learning.data();
}

// The readout's event path: z_r[j] adds c_out sum_{i >= j} alpha_out^(i-j) E[i] to column r.
void add_readout_events(const activity& z, Eigen::Index j, const Eigen::MatrixXd& err,
                        double alpha_out, double c_out, Eigen::VectorXd& ebar_out,
                        Eigen::VectorXd& c_ebar_out, Eigen::MatrixXd& w_out) {
  const Eigen::Index n_out = err.cols();
  for (Eigen::Index k = 0; k < n_out; ++k) {
    ebar_out[k] = err(j, k) + alpha_out * ebar_out[k];
    c_ebar_out[k] = c_out * ebar_out[k];
  }
  z.for_each(j, [&](Eigen::Index r, double count) {
    double* col = w_out.col(r).data();
    if (count == 1.0)
      add(col, c_ebar_out.data(), n_out);
    else
      add_scaled(col, ebar_out.data(), c_out * count, n_out);
  });
}

// Drops the product of ebar_rp[T-1] with the last learning signal (once per listing).
void drop_last_late_product(const late_signal& late, const eprop_settings& s,
                            const Eigen::MatrixXd& feedback, const Eigen::MatrixXd& err,
                            Eigen::MatrixXd& w_in) {
  const Eigen::VectorXd last = feedback * err.row(err.rows() - 1).transpose();
  for (auto p : s.late_signal_inputs) w_in.col(p) -= last.cwiseProduct(late.ebar.col(late.slot[p]));
}

}  // namespace

eprop_gradients eprop_gradients_of(const eprop_trajectory& tr, const Eigen::MatrixXd& err,
                                   std::size_t window_length, const Eigen::MatrixXd& feedback,
                                   const eprop_settings& s) {
  const activity x(tr.x, tr.x_events), z(tr.z, tr.z_events);
  const Eigen::Index T = tr.psi.rows(), n_rec = tr.psi.cols(), n_in = x.size(), n_out = err.cols();
  if (x.steps() != T || z.steps() != T || err.rows() != T)
    throw error("eprop_gradients_of: trajectory lengths differ");
  if (z.size() != n_rec || feedback.rows() != n_rec || feedback.cols() != n_out)
    throw error("eprop_gradients_of: trajectory, error and feedback sizes differ");
  eprop_gradients g;

  const presynaptic_paths paths = paths_of(x, z, s);
  const bool event_in = paths.in, event_rec = paths.rec, event_out = paths.out;
  const presynaptic_traces traces = forward_traces(tr, x, z, s, paths);

  // The regulariser's constant learning signal.
  const Eigen::RowVectorXd counts = z.column_sums();
  const double Td = static_cast<double>(T);
  const Eigen::RowVectorXd reg = s.c_reg * ((counts.array() / Td - s.f_target) / Td).matrix();
  const bool adaptive = s.beta.size() > 0;
  if (adaptive && s.beta.size() != n_rec) throw error("eprop_gradients_of: beta size");

  late_signal late = late_signal_of(s, n_in, n_rec);
  std::vector<Eigen::Index>& late_slot = late.slot;
  Eigen::MatrixXd& late_ebar = late.ebar;

  // Backward, one step at a time and fused: the learning signal L = B E filtered backwards
  // (Ltilde), plus the regulariser, times psi (plus the adaptation adjoint lambda), is the
  // factor A[j]; A filtered backwards with alpha (`back`) is what one presynaptic spike
  // contributes (times c_z), so the event paths add it to the spiking neurons' columns here
  // and the [T, n_rec] factor is only kept for the dense paths' matrix products.
  g.w_in = Eigen::MatrixXd::Zero(n_rec, n_in);
  g.w_rec = Eigen::MatrixXd::Zero(n_rec, n_rec);
  g.w_out = Eigen::MatrixXd::Zero(n_out, n_rec);
  row_matrix_d factor;
  const bool keep_factor = !event_in || !event_rec;
  if (keep_factor) factor.resize(T, n_rec);
  const Eigen::RowVectorXd beta =
      adaptive ? Eigen::RowVectorXd(s.beta.transpose()) : Eigen::RowVectorXd::Zero(n_rec);
  Eigen::VectorXd learning = Eigen::VectorXd::Zero(n_rec), filtered = Eigen::VectorXd::Zero(n_rec),
                  w(n_rec), w_next(n_rec), lambda = Eigen::VectorXd::Zero(n_rec),
                  back = Eigen::VectorXd::Zero(n_rec), late_h = Eigen::VectorXd::Zero(n_rec);
  Eigen::VectorXd ebar_out = Eigen::VectorXd::Zero(n_out), c_ebar_out(n_out);
  // The constants as locals: read through `s`, they might alias the arrays written in the
  // loops below, which would keep the compiler from vectorising them.
  const double kappa = s.kappa, one_minus_kappa = 1.0 - s.kappa, alpha = s.alpha, c_z = s.c_z,
               rho = s.rho, alpha_out = s.alpha_out, c_out = s.c_out;
  double kappa_power = 1.0;  // kappa^(T-1-j)
  constexpr Eigen::Index psi_ahead = 8;
  double* const back_p = back.data();
  for (Eigen::Index j = T - 1; j >= 0; --j) {
    const double* psi = tr.psi.row(j).data();
    // psi is walked backwards, which the hardware prefetchers follow poorly: ask for the
    // row a few steps ahead.
    if (j >= psi_ahead) {
      const char* next = reinterpret_cast<const char*>(tr.psi.row(j - psi_ahead).data());
      for (Eigen::Index b = 0; b < n_rec * 8; b += 64) __builtin_prefetch(next + b);
    }
    double learning_e = 1.0;
    const double* learning_b = learning_signal(feedback, err, j, learning, learning_e);
    // lambda_j from lambda_{j+1} and w_{j+1} (w_next), before w_j is computed.
    if (adaptive && j + 1 < T)
      adaptation_step(lambda.data(), beta.data(), tr.psi.row(j + 1).data(), w_next.data(), rho,
                      n_rec);
    const backward_constants consts{kappa, one_minus_kappa, alpha};
    // The dense paths keep every step's factor: written straight into its row.
    double* const fac_p = keep_factor ? factor.row(j).data() : nullptr;
    with_flags(late.on, adaptive, keep_factor, [&](auto late_c, auto keep_w, auto keep_fac) {
      backward_step<late_c(), keep_w(), keep_fac()>(
          filtered.data(), w.data(), fac_p, back_p, late_h.data(), learning_b, learning_e,
          reg.data(), lambda.data(), psi, consts, one_minus_kappa * kappa_power, n_rec);
    });
    w_next.swap(w);

    // A spike of p at step l enters the trace at l + lag (input 0, recurrent 1) and decays
    // with alpha after: it adds c_z back[l + lag] to column p (c_z count back for a count).
    auto spike_adder = [&](Eigen::MatrixXd& out) {
      return [&out, back_p, c_z, n_rec](Eigen::Index p, double count) {
        add_scaled(out.col(p).data(), back_p, c_z * count, n_rec);
      };
    };
    if (event_in) x.for_each(j, spike_adder(g.w_in));
    if (event_rec && j > 0) z.for_each(j - 1, spike_adder(g.w_rec));

    if (event_out) add_readout_events(z, j, err, alpha_out, c_out, ebar_out, c_ebar_out, g.w_out);
    if (late.on) {
      kappa_power *= kappa;
      x.for_each(j, [&](Eigen::Index p, double count) {
        const Eigen::Index slot = late_slot[static_cast<std::size_t>(p)];
        if (slot < 0) return;
        add_scaled(late_ebar.col(slot).data(), late_h.data(), c_z * count, n_rec);
      });
    }
  }

  // The dense paths: sum_j factor[j] zbar_p[j] as one matrix product.
  if (!event_in) g.w_in.noalias() = factor.transpose() * traces.in;
  if (!event_rec) g.w_rec.noalias() = factor.transpose() * traces.rec;
  if (!event_out) g.w_out.noalias() = err.transpose() * traces.out;
  if (late.on && T > 0) drop_last_late_product(late, s, feedback, err, g.w_in);
  if (s.average_gradient) g.average_over(window_length);
  return g;
}

}  // namespace chaoschip::models
