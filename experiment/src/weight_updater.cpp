#include "chaoschip/experiment/weight_updater.hpp"

#include "chaoschip/core/errors.hpp"

namespace chaoschip::experiment {

weight_updater::weight_updater(const plan& p, built_network& b)
    : backend_(*p.chip.backend),
      b_(b),
      in_(*b.net.connection_at(b.in_rec).weights),
      rec_(*b.net.connection_at(b.rec_rec).weights),
      no_diag_(!p.network.autapses),
      shadowed_(b.chip && p.chip.profile.updates == neuromorphic::update_mode::shadow),
      updates_(p.chip.seed, "chip.updates") {
  if (shadowed_) shadow_ = {p.network.in_rec.weights, p.network.rec_rec.weights};
}

void weight_updater::step_recurrent(optimizer& o, const Eigen::MatrixXd& g_in,
                                    const Eigen::MatrixXd& g_rec) {
  if (b_.chip) {
    chip_step(o, 0, in_, b_.chip->w_in, g_in, false);
    chip_step(o, 1, rec_, b_.chip->w_rec, g_rec, no_diag_);
  } else {
    step_float(o, 0, in_, g_in, false);
    step_float(o, 1, rec_, g_rec, no_diag_);
  }
}

void weight_updater::step_float(optimizer& o, std::size_t slot, projection& p,
                                const Eigen::MatrixXd& g, bool no_diag) {
  // Dense weights are updated in place (no copies).
  if (auto* dense = dynamic_cast<dense_projection*>(&p)) {
    Eigen::MatrixXd& w = dense->weights();
    o.step(slot, w, g);
    if (no_diag) w.diagonal().setZero();
    return;
  }
  Eigen::MatrixXd w = p.to_dense();
  o.step(slot, w, g);
  if (no_diag) w.diagonal().setZero();
  p.assign(w);
}

void weight_updater::chip_step(optimizer& o, std::size_t slot, projection& p,
                               neuromorphic::chip_weights& cw, const Eigen::MatrixXd& g,
                               bool no_diag) {
  Eigen::MatrixXd codes = backend_.codes_of(p, cw);
  const Eigen::VectorXd scale =
      cw.scale.size() == 1 ? Eigen::VectorXd::Constant(codes.rows(), cw.scale[0]) : cw.scale;
  // NaN would not survive rounding to a code as NaN: it would become a clipped extreme.
  if (!g.allFinite())
    throw numerical_error(slot == 0 ? "update of w_in on the chip" : "update of w_rec on the chip",
                          chip_updates_, "the gradient is not finite");
  ++chip_updates_;
  if (shadowed_) {
    Eigen::MatrixXd& w = shadow_[slot];
    o.step(slot, w, g);
    if (no_diag) w.diagonal().setZero();
    codes = backend_.update_codes(codes, scale, w, updates_);
  } else {
    const Eigen::MatrixXd w0 = scale.asDiagonal() * codes;
    Eigen::MatrixXd w = w0;
    o.step(slot, w, g);
    codes = backend_.update_codes(codes, scale, w - w0, updates_);
  }
  if (no_diag) codes.diagonal().setZero();
  backend_.assign_codes(p, cw, codes);
}

Eigen::MatrixXd weight_updater::float_in() const {
  return b_.chip ? backend_.float_weights(b_.chip->w_in) : in_.to_dense();
}

Eigen::MatrixXd weight_updater::float_rec() const {
  return b_.chip ? backend_.float_weights(b_.chip->w_rec) : rec_.to_dense();
}

}  // namespace chaoschip::experiment
