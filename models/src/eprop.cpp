#include "chaoschip/models/eprop.hpp"

#include <cmath>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/random.hpp"

namespace chaoschip::models {

eprop_gradients eprop_gradients_of(const eprop_trajectory& tr, const Eigen::MatrixXd& err,
                                   std::size_t window_length, const Eigen::MatrixXd& feedback,
                                   const eprop_settings& s) {
  const Eigen::Index T = tr.z.rows(), n_rec = tr.z.cols(), n_in = tr.x.cols();
  if (tr.x.rows() != T || tr.psi.rows() != T || err.rows() != T)
    throw error("eprop_gradients_of: trajectory lengths differ");
  eprop_gradients g;
  const row_matrix_d learning = err * feedback.transpose();  // L = B E, [T, n_rec]

  // Which presynaptic path each matrix takes (see eprop_settings::path).
  auto event_path = [&](const row_matrix_d& activity) {
    if (s.presynaptic != eprop_settings::path::automatic)
      return s.presynaptic == eprop_settings::path::event;
    const double density = static_cast<double>((activity.array() != 0.0).count()) /
                           static_cast<double>(activity.size() + 1);
    return density < 0.25;
  };
  const bool chip_traces = s.trace_bits > 0;
  const bool event_in = !chip_traces && event_path(tr.x);
  const bool event_rec = !chip_traces && event_path(tr.z);
  // Presynaptic traces (dense path only; the readout's always).
  row_matrix_d zbar_in, zbar_rec, zbar_out(T, n_rec);
  if (!event_in) zbar_in.resize(T, n_in);
  if (!event_rec) zbar_rec.resize(T, n_rec);
  Eigen::RowVectorXd a = Eigen::RowVectorXd::Zero(n_in), b = Eigen::RowVectorXd::Zero(n_rec),
                     o = Eigen::RowVectorXd::Zero(n_rec);
  // Integer traces: codes per presynaptic neuron, in units of c_z / impulse.
  const double impulse = chip_traces ? std::ldexp(1.0, s.trace_bits - 2) : 0.0;
  const double top = chip_traces ? std::ldexp(1.0, s.trace_bits) - 1.0 : 0.0;
  random_stream rounding_draws(s.trace_seed, "eprop.traces");
  auto chip_trace = [&](Eigen::RowVectorXd& code, const auto& spikes) {
    for (Eigen::Index p = 0; p < code.size(); ++p)
      code[p] = std::min(
          top, std::floor(code[p] * s.alpha + rounding_draws.uniform()) + impulse * spikes[p]);
  };
  for (Eigen::Index j = 0; j < T; ++j) {
    if (chip_traces) {
      chip_trace(a, tr.x.row(j));
      zbar_in.row(j) = (s.c_z / impulse) * a;
      if (j > 0) chip_trace(b, tr.z.row(j - 1));
      zbar_rec.row(j) = (s.c_z / impulse) * b;
    } else {
      if (!event_in) {
        a = s.alpha * a + s.c_z * tr.x.row(j);
        zbar_in.row(j) = a;
      }
      if (!event_rec) {
        if (j > 0) b = s.alpha * b + s.c_z * tr.z.row(j - 1);
        zbar_rec.row(j) = b;
      }
    }
    o = s.alpha_out * o + s.c_out * tr.z.row(j);
    zbar_out.row(j) = o;
  }

  // Backward-filtered learning signal plus the regulariser, times psi.
  const Eigen::RowVectorXd counts = tr.z.colwise().sum();
  const double Td = static_cast<double>(T);
  const Eigen::RowVectorXd reg = s.c_reg * ((counts.array() / Td - s.f_target) / Td).matrix();
  row_matrix_d factor(T, n_rec);
  Eigen::RowVectorXd filtered = Eigen::RowVectorXd::Zero(n_rec);
  const bool adaptive = s.beta.size() > 0;
  if (adaptive && s.beta.size() != n_rec) throw error("eprop_gradients_of: beta size");
  const Eigen::RowVectorXd beta =
      adaptive ? Eigen::RowVectorXd(s.beta.transpose()) : Eigen::RowVectorXd::Zero(n_rec);
  // Preallocated: this loop runs once per step.
  Eigen::RowVectorXd lambda = Eigen::RowVectorXd::Zero(n_rec), w(n_rec), w_next(n_rec), bp(n_rec);
  for (Eigen::Index j = T - 1; j >= 0; --j) {
    filtered = s.kappa * filtered + (1.0 - s.kappa) * learning.row(j);
    w.noalias() = filtered + reg;
    if (adaptive && j + 1 < T) {
      // lambda_j = (rho - beta psi_{j+1}) lambda_{j+1} - beta psi_{j+1} w_{j+1}
      bp.noalias() = beta.cwiseProduct(tr.psi.row(j + 1));
      lambda = (s.rho - bp.array()).matrix().cwiseProduct(lambda) - bp.cwiseProduct(w_next);
    }
    factor.row(j) = tr.psi.row(j).cwiseProduct(w + lambda);
    w_next.swap(w);
  }
  // Presynaptic sums, per matrix: sum_j factor[j] zbar_p[j].
  Eigen::MatrixXd back;  // [n_rec, T]: factor filtered backwards with alpha (event path)
  auto presynaptic = [&](bool event, const row_matrix_d& activity, const row_matrix_d& zbar,
                         Eigen::Index lag, Eigen::MatrixXd& out) {
    if (!event) {
      out.noalias() = factor.transpose() * zbar;
      return;
    }
    if (back.size() == 0) {
      back.resize(n_rec, T);
      back.col(T - 1) = factor.row(T - 1).transpose();
      for (Eigen::Index j = T - 2; j >= 0; --j)
        back.col(j) = factor.row(j).transpose() + s.alpha * back.col(j + 1);
    }
    // A spike of p at step l enters the trace at l + lag and decays with alpha after.
    out = Eigen::MatrixXd::Zero(n_rec, activity.cols());
    for (Eigen::Index l = 0; l + lag < T; ++l)
      for (Eigen::Index p = 0; p < activity.cols(); ++p)
        if (const double count = activity(l, p); count != 0.0)
          out.col(p) += (s.c_z * count) * back.col(l + lag);
  };
  presynaptic(event_in, tr.x, zbar_in, 0, g.w_in);
  presynaptic(event_rec, tr.z, zbar_rec, 1, g.w_rec);
  g.w_out.noalias() = err.transpose() * zbar_out;
  for (auto p : s.late_signal_inputs) {
    // ebar_rp[T-1] for every r, then drop its product with the last learning signal.
    Eigen::VectorXd ebar = Eigen::VectorXd::Zero(n_rec);
    double trace = 0.0;  // zbar_in(j, p)
    for (Eigen::Index j = 0; j < T; ++j) {
      trace = s.alpha * trace + s.c_z * tr.x(j, p);
      ebar *= s.kappa;
      ebar.noalias() += ((1.0 - s.kappa) * trace) * tr.psi.row(j).transpose();
    }
    g.w_in.col(p) -= learning.row(T - 1).transpose().cwiseProduct(ebar);
  }
  if (s.average_gradient) g.average_over(window_length);
  return g;
}

}  // namespace chaoschip::models
