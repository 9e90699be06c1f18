#include "chaoschip/core/projection.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

namespace {
void check_shape(const Eigen::Ref<const Eigen::MatrixXd>& w, std::size_t rows, std::size_t cols) {
  if (static_cast<std::size_t>(w.rows()) != rows || static_cast<std::size_t>(w.cols()) != cols)
    throw error("projection::assign: shape " + std::to_string(w.rows()) + "x" +
                std::to_string(w.cols()) + ", expected " + std::to_string(rows) + "x" +
                std::to_string(cols));
}
}  // namespace

namespace {
// target += c0, then += c1, ... in one pass: the sums in the order a column at a time gives
// (so the same numbers), with the target loaded and stored once per group, not per spike.
// __restrict: the target is not a weight column (read-only columns may repeat).
void add_columns(double* __restrict t, const double* __restrict c0, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) t[i] += c0[i];
}
void add_columns(double* __restrict t, const double* __restrict c0, const double* __restrict c1,
                 std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) t[i] = (t[i] + c0[i]) + c1[i];
}
void add_columns(double* __restrict t, const double* __restrict c0, const double* __restrict c1,
                 const double* __restrict c2, const double* __restrict c3, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) t[i] = (((t[i] + c0[i]) + c1[i]) + c2[i]) + c3[i];
}
}  // namespace

void dense_projection::deliver_spikes(std::span<const std::uint32_t> spiking_pre,
                                      double* target) const noexcept {
  const auto n = static_cast<std::size_t>(w_.rows());
  auto col = [&](std::size_t k) { return w_.data() + spiking_pre[k] * n; };
  const std::size_t count = spiking_pre.size();
  std::size_t k = 0;
  for (; k + 4 <= count; k += 4) add_columns(target, col(k), col(k + 1), col(k + 2), col(k + 3), n);
  if (k + 2 <= count) {
    add_columns(target, col(k), col(k + 1), n);
    k += 2;
  }
  if (k < count) add_columns(target, col(k), n);
}

void dense_projection::deliver_rates(const Eigen::Ref<const Eigen::VectorXd>& x,
                                     Eigen::Ref<Eigen::VectorXd> target) const {
  target.noalias() += w_ * x;
}

void dense_projection::apply(const Eigen::Ref<const Eigen::MatrixXd>& in,
                             Eigen::Ref<Eigen::MatrixXd> out) const {
  out.noalias() = w_ * in;
}

void dense_projection::apply_transpose(const Eigen::Ref<const Eigen::MatrixXd>& in,
                                       Eigen::Ref<Eigen::MatrixXd> out) const {
  out.noalias() = w_.transpose() * in;
}

void dense_projection::assign(const Eigen::Ref<const Eigen::MatrixXd>& w) {
  check_shape(w, n_post(), n_pre());
  w_ = w;
  touch();
}

csr_projection::csr_projection(std::size_t n_pre, std::size_t n_post, std::vector<synapse> synapses)
    : n_pre_(n_pre), n_post_(n_post), row_ptr_(n_pre + 1, 0) {
  for (const auto& s : synapses) {
    if (s.pre >= n_pre || s.post >= n_post)
      throw error("csr_projection: synapse " + std::to_string(s.pre) + "->" +
                  std::to_string(s.post) + " outside " + std::to_string(n_pre) + "x" +
                  std::to_string(n_post));
    ++row_ptr_[s.pre + 1];
  }
  for (std::size_t i = 0; i < n_pre; ++i) row_ptr_[i + 1] += row_ptr_[i];
  post_.resize(synapses.size());
  weight_.resize(synapses.size());
  // Stable counting sort by presynaptic neuron; within a row, sort by target so that
  // delivery walks the target buffer forwards.
  std::stable_sort(synapses.begin(), synapses.end(), [](const synapse& a, const synapse& b) {
    return a.pre != b.pre ? a.pre < b.pre : a.post < b.post;
  });
  for (std::size_t k = 0; k < synapses.size(); ++k) {
    post_[k] = synapses[k].post;
    weight_[k] = synapses[k].weight;
  }
  update_row_weights();
}

void csr_projection::update_row_weights() {
  row_weight_.assign(n_pre_, 0.0);
  for (std::size_t pre = 0; pre < n_pre_; ++pre) {
    const std::size_t begin = row_ptr_[pre], end = row_ptr_[pre + 1];
    if (begin == end) continue;
    const auto w0 = std::bit_cast<std::uint64_t>(weight_[begin]);
    for (std::size_t k = begin + 1; k < end; ++k)
      if (std::bit_cast<std::uint64_t>(weight_[k]) != w0) {
        row_weight_.clear();
        return;
      }
    row_weight_[pre] = weight_[begin];
  }
}

csr_projection csr_projection::from_dense(const Eigen::Ref<const Eigen::MatrixXd>& w) {
  std::vector<synapse> syn;
  for (Eigen::Index pre = 0; pre < w.cols(); ++pre)
    for (Eigen::Index post = 0; post < w.rows(); ++post)
      if (w(post, pre) != 0.0)
        syn.push_back(
            {static_cast<std::uint32_t>(pre), static_cast<std::uint32_t>(post), w(post, pre)});
  return {static_cast<std::size_t>(w.cols()), static_cast<std::size_t>(w.rows()), std::move(syn)};
}

void csr_projection::deliver_spikes(std::span<const std::uint32_t> spiking_pre,
                                    double* target) const noexcept {
  const std::uint32_t* post = post_.data();
  if (!row_weight_.empty()) {
    for (std::uint32_t pre : spiking_pre) {
      const double w = row_weight_[pre];
      const std::size_t end = row_ptr_[pre + 1];
      for (std::size_t k = row_ptr_[pre]; k < end; ++k) target[post[k]] += w;
    }
    return;
  }
  const double* weight = weight_.data();
  for (std::uint32_t pre : spiking_pre) {
    const std::size_t end = row_ptr_[pre + 1];
    for (std::size_t k = row_ptr_[pre]; k < end; ++k) target[post[k]] += weight[k];
  }
}

void csr_projection::deliver_rates(const Eigen::Ref<const Eigen::VectorXd>& x,
                                   Eigen::Ref<Eigen::VectorXd> target) const {
  for (std::size_t pre = 0; pre < n_pre_; ++pre) {
    const double xp = x[static_cast<Eigen::Index>(pre)];
    if (xp == 0.0) continue;
    for (std::size_t k = row_ptr_[pre]; k < row_ptr_[pre + 1]; ++k)
      target[post_[k]] += weight_[k] * xp;
  }
}

void csr_projection::apply(const Eigen::Ref<const Eigen::MatrixXd>& in,
                           Eigen::Ref<Eigen::MatrixXd> out) const {
  out.setZero();
  for (std::size_t pre = 0; pre < n_pre_; ++pre)
    for (std::size_t k = row_ptr_[pre]; k < row_ptr_[pre + 1]; ++k)
      out.row(post_[k]) += weight_[k] * in.row(static_cast<Eigen::Index>(pre));
}

void csr_projection::apply_transpose(const Eigen::Ref<const Eigen::MatrixXd>& in,
                                     Eigen::Ref<Eigen::MatrixXd> out) const {
  out.setZero();
  for (std::size_t pre = 0; pre < n_pre_; ++pre)
    for (std::size_t k = row_ptr_[pre]; k < row_ptr_[pre + 1]; ++k)
      out.row(static_cast<Eigen::Index>(pre)) += weight_[k] * in.row(post_[k]);
}

Eigen::MatrixXd csr_projection::to_dense() const {
  Eigen::MatrixXd w =
      Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n_post_), static_cast<Eigen::Index>(n_pre_));
  for (std::size_t pre = 0; pre < n_pre_; ++pre)
    for (std::size_t k = row_ptr_[pre]; k < row_ptr_[pre + 1]; ++k)
      w(post_[k], static_cast<Eigen::Index>(pre)) += weight_[k];
  return w;
}

void csr_projection::assign(const Eigen::Ref<const Eigen::MatrixXd>& w) {
  check_shape(w, n_post_, n_pre_);
  touch();
  for (std::size_t pre = 0; pre < n_pre_; ++pre)
    for (std::size_t k = row_ptr_[pre]; k < row_ptr_[pre + 1]; ++k)
      weight_[k] = w(post_[k], static_cast<Eigen::Index>(pre));
  update_row_weights();
}

}  // namespace chaoschip
