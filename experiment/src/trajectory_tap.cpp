#include "chaoschip/experiment/trajectory_tap.hpp"

#include <utility>

#include "chaoschip/models/rate.hpp"

namespace chaoschip::experiment {

void trajectory_tap::record(std::int64_t, const network& n) {
  const auto& g = n.at(out).graded();
  y.insert(y.end(), g.data(), g.data() + g.size());
  if (!full) return;
  const auto& r = n.at(rec);
  // The input as the recurrent layer sees it: a step later behind Loihi's Dense.
  if (input_delay > 0) {
    x_current_.assign(n.at(in).spikes().begin(), n.at(in).spikes().end());
    tr.x_events.push_step(x_prev_);
    std::swap(x_current_, x_prev_);
  } else {
    tr.x_events.push_step(n.at(in).spikes());
  }
  auto psi_row = tr.psi.row(t_);
  if (lif_) {
    tr.z_events.push_step(r.spikes());
    psi_row = Eigen::Map<const Eigen::RowVectorXd>(lif_->state().psi.data(), psi_row.size());
  } else if (nir_lif_) {
    // The pseudo-derivative of the membrane before its reset, as the model computed it.
    tr.z_events.push_step(r.spikes());
    psi_row = Eigen::Map<const Eigen::RowVectorXd>(nir_lif_->state().psi.data(), psi_row.size());
  } else if (loihi_) {
    tr.z_events.push_step(r.spikes());
    for (Eigen::Index i = 0; i < loihi_->state().psi.size(); ++i)
      psi_row[i] = psi_scale * loihi_->state().psi[i];
  } else if (fixed_) {
    tr.z_events.push_step(r.spikes());
    for (Eigen::Index i = 0; i < fixed_->state().psi.size(); ++i)
      psi_row[i] = psi_scale * fixed_->state().psi[i];
  } else if (ode_) {
    tr.z.row(t_) = ode_->graded().transpose();
    psi_row = ode_->model_value().pseudo_derivative(ode_->state()).matrix().transpose();
  } else {
    const auto& rate = dynamic_cast<const model_population<models::rate>&>(r);
    tr.z.row(t_) = rate.graded().transpose();
    psi_row = rate.model_value().pseudo_derivative(rate.state()).matrix().transpose();
  }
  ++t_;
}

void trajectory_tap::clear(Eigen::Index steps, const network& n) {
  y.clear();
  x_prev_.clear();
  t_ = 0;
  if (!full) return;
  const auto n_in = static_cast<Eigen::Index>(n.at(in).size()),
             n_rec = static_cast<Eigen::Index>(n.at(rec).size());
  lif_ = dynamic_cast<const model_population<models::lif>*>(&n.at(rec));
  nir_lif_ = dynamic_cast<const model_population<models::nir_lif>*>(&n.at(rec));
  loihi_ = dynamic_cast<const model_population<neuromorphic::loihi_lif>*>(&n.at(rec));
  fixed_ = dynamic_cast<const model_population<neuromorphic::fixed_lif>*>(&n.at(rec));
  ode_ = dynamic_cast<const model_population<models::rate_ode>*>(&n.at(rec));
  tr.x.resize(0, 0);
  tr.x_events.clear(n_in);
  tr.z_events.clear(n_rec);
  if (n.at(rec).output() == output_kind::spikes)
    tr.z.resize(0, 0);
  else
    tr.z.resize(steps, n_rec);
  tr.psi.resize(steps, n_rec);
}

}  // namespace chaoschip::experiment
