#include "chaoschip/models/bptt.hpp"

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

eprop_gradients bptt_gradients(const eprop_trajectory& tr, const Eigen::MatrixXd& err,
                               std::size_t window_length, const Eigen::MatrixXd& w_rec,
                               const Eigen::MatrixXd& w_out, const bptt_settings& s, bool spiking) {
  const Eigen::Index T = tr.z.rows(), n = tr.z.cols();
  if (tr.x.rows() != T || tr.psi.rows() != T || err.rows() != T)
    throw error("bptt_gradients: trajectory lengths differ");
  eprop_gradients g;
  const double Td = static_cast<double>(T);
  const Eigen::RowVectorXd counts = tr.z.colwise().sum();
  const Eigen::RowVectorXd rate_error = (counts.array() / Td - s.f_target).matrix();
  // The firing-rate regulariser 0.5 c_reg sum_r (n_r / T - f_target)^2, d/dz_j:
  const Eigen::RowVectorXd reg = s.c_reg * rate_error / Td;

  // The adjoints per step; the weight gradients are then three matrix products.
  row_matrix_d v_adjs(T, n), y_adjs(T, w_out.rows());
  Eigen::RowVectorXd y_adj = Eigen::RowVectorXd::Zero(w_out.rows());  // d loss / d y_j
  Eigen::RowVectorXd v_adj_next = Eigen::RowVectorXd::Zero(n);        // d loss / d v_{j+1}
  Eigen::RowVectorXd a_adj_next = Eigen::RowVectorXd::Zero(n);        // d loss / d a_{j+1}
  const bool adaptive = spiking && s.beta.size() > 0;
  if (adaptive && s.beta.size() != n) throw error("bptt_gradients: beta size");
  const Eigen::RowVectorXd beta =
      adaptive ? Eigen::RowVectorXd(s.beta.transpose()) : Eigen::RowVectorXd::Zero(n);
  for (Eigen::Index j = T - 1; j >= 0; --j) {
    y_adj = err.row(j) + s.alpha_out * y_adj;
    // z_j (spikes or rates) feeds the readout at j and the recurrent layer at j + 1.
    Eigen::RowVectorXd z_adj = s.c_out * y_adj * w_out + reg * (spiking ? 1.0 : 0.0);
    if (j + 1 < T) {
      z_adj.noalias() += s.c_z * v_adj_next * w_rec;  // row form of W_rec^T v_adj
      if (spiking && s.reset_gradient) z_adj -= s.v_th * v_adj_next;
      if (adaptive) z_adj += a_adj_next;  // a_{j+1} = rho a_j + z_j
    }
    const Eigen::RowVectorXd v_adj = tr.psi.row(j).cwiseProduct(z_adj) + s.alpha * v_adj_next;
    if (adaptive)  // z_j depends on a_j through the threshold: dz/da = -beta psi
      a_adj_next = s.rho * a_adj_next - beta.cwiseProduct(tr.psi.row(j)).cwiseProduct(z_adj);
    y_adjs.row(j) = y_adj;
    v_adjs.row(j) = v_adj;
    v_adj_next = v_adj;
  }
  g.w_out.noalias() = s.c_out * y_adjs.transpose() * tr.z;
  g.w_in.noalias() = s.c_z * v_adjs.transpose() * tr.x;
  // z_{j-1} reaches v_j: pair the adjoints of steps 1..T-1 with the spikes of 0..T-2.
  g.w_rec.noalias() = s.c_z * v_adjs.bottomRows(T - 1).transpose() * tr.z.topRows(T - 1);
  if (s.average_gradient) g.average_over(window_length);
  return g;
}

}  // namespace chaoschip::models
