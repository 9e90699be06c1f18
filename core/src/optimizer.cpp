#include "chaoschip/core/optimizer.hpp"

#include <cmath>
#include <utility>

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

optimizer::optimizer(optimizer_settings s, std::size_t slots) : s_(s), slots_(slots) {}

void optimizer::restore(std::vector<slot_state> state) {
  if (state.size() != slots_.size()) throw error("optimizer: restored state has other slots");
  slots_ = std::move(state);
}

void optimizer::step(std::size_t slot, Eigen::MatrixXd& w, const Eigen::MatrixXd& g) {
  auto& st = slots_.at(slot);
  if (st.m.size() == 0) {
    st.m = Eigen::MatrixXd::Zero(w.rows(), w.cols());
    st.v = Eigen::MatrixXd::Zero(w.rows(), w.cols());
  }
  if (g.rows() != w.rows() || g.cols() != w.cols()) throw error("optimizer: gradient shape");
  if (s_.kind == optimizer_kind::sgd) {
    if (s_.momentum == 0.0) {
      w -= s_.eta * g;
    } else {
      st.m = s_.momentum * st.m + g;
      w -= s_.eta * st.m;
    }
  } else {
    st.b1_power *= s_.beta1;
    st.b2_power *= s_.beta2;
    st.m = s_.beta1 * st.m + (1.0 - s_.beta1) * g;
    st.v = s_.beta2 * st.v + (1.0 - s_.beta2) * g.cwiseAbs2();
    const double step = s_.eta * std::sqrt(1.0 - st.b2_power) / (1.0 - st.b1_power);
    w.array() -= step * st.m.array() / (st.v.array().sqrt() + s_.epsilon);
  }
  w = w.cwiseMax(s_.w_min).cwiseMin(s_.w_max);
}

}  // namespace chaoschip
