#pragma once
// Synaptic weights between two populations, [post, pre], behind one interface.
//
// dense_projection holds an Eigen matrix (rate networks, small dense spiking networks);
// csr_projection holds the synapses grouped by presynaptic neuron so that delivering a
// step's spikes costs O(spikes x fan-out). Both give identical input.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <Eigen/Core>

namespace chaoschip {

class projection {
 public:
  virtual ~projection() = default;

  virtual std::size_t n_pre() const noexcept = 0;
  virtual std::size_t n_post() const noexcept = 0;
  virtual std::size_t n_synapses() const noexcept = 0;

  // target[post] += w[post, pre] for every spiking `pre`.
  virtual void deliver_spikes(std::span<const std::uint32_t> spiking_pre,
                              double* target) const noexcept = 0;
  // target += W * x (graded output, e.g. rates).
  virtual void deliver_rates(const Eigen::Ref<const Eigen::VectorXd>& x,
                             Eigen::Ref<Eigen::VectorXd> target) const = 0;
  // out = W * in for a block of column vectors (tangent space, gradients).
  virtual void apply(const Eigen::Ref<const Eigen::MatrixXd>& in,
                     Eigen::Ref<Eigen::MatrixXd> out) const = 0;
  // out = W^T * in.
  virtual void apply_transpose(const Eigen::Ref<const Eigen::MatrixXd>& in,
                               Eigen::Ref<Eigen::MatrixXd> out) const = 0;

  virtual Eigen::MatrixXd to_dense() const = 0;
  // Replace the weights of existing synapses from a dense matrix (entries without a
  // synapse are ignored by sparse projections).
  virtual void assign(const Eigen::Ref<const Eigen::MatrixXd>& w) = 0;

  // Changes whenever the weights may have changed, so that kernels can cache derived
  // forms (e.g. integer copies) of them.
  std::uint64_t version() const noexcept { return version_; }

 protected:
  void touch() noexcept { ++version_; }

 private:
  std::uint64_t version_ = 0;
};

class dense_projection final : public projection {
 public:
  explicit dense_projection(Eigen::MatrixXd w) : w_(std::move(w)) {}

  std::size_t n_pre() const noexcept override { return static_cast<std::size_t>(w_.cols()); }
  std::size_t n_post() const noexcept override { return static_cast<std::size_t>(w_.rows()); }
  std::size_t n_synapses() const noexcept override { return static_cast<std::size_t>(w_.size()); }

  void deliver_spikes(std::span<const std::uint32_t> spiking_pre,
                      double* target) const noexcept override;
  void deliver_rates(const Eigen::Ref<const Eigen::VectorXd>& x,
                     Eigen::Ref<Eigen::VectorXd> target) const override;
  void apply(const Eigen::Ref<const Eigen::MatrixXd>& in,
             Eigen::Ref<Eigen::MatrixXd> out) const override;
  void apply_transpose(const Eigen::Ref<const Eigen::MatrixXd>& in,
                       Eigen::Ref<Eigen::MatrixXd> out) const override;
  Eigen::MatrixXd to_dense() const override { return w_; }
  void assign(const Eigen::Ref<const Eigen::MatrixXd>& w) override;

  const Eigen::MatrixXd& weights() const noexcept { return w_; }
  // Mutable access counts as a change (see version()).
  Eigen::MatrixXd& weights() noexcept {
    touch();
    return w_;
  }

 private:
  Eigen::MatrixXd w_;  // [post, pre], column-major: a presynaptic column is contiguous
};

class csr_projection final : public projection {
 public:
  struct synapse {
    std::uint32_t pre, post;
    double weight;
  };
  // Builds from a synapse list (any order; duplicates are kept as separate synapses).
  csr_projection(std::size_t n_pre, std::size_t n_post, std::vector<synapse> synapses);
  // Builds from a dense matrix, keeping the nonzero entries.
  static csr_projection from_dense(const Eigen::Ref<const Eigen::MatrixXd>& w);

  std::size_t n_pre() const noexcept override { return n_pre_; }
  std::size_t n_post() const noexcept override { return n_post_; }
  std::size_t n_synapses() const noexcept override { return post_.size(); }

  void deliver_spikes(std::span<const std::uint32_t> spiking_pre,
                      double* target) const noexcept override;
  void deliver_rates(const Eigen::Ref<const Eigen::VectorXd>& x,
                     Eigen::Ref<Eigen::VectorXd> target) const override;
  void apply(const Eigen::Ref<const Eigen::MatrixXd>& in,
             Eigen::Ref<Eigen::MatrixXd> out) const override;
  void apply_transpose(const Eigen::Ref<const Eigen::MatrixXd>& in,
                       Eigen::Ref<Eigen::MatrixXd> out) const override;
  Eigen::MatrixXd to_dense() const override;
  void assign(const Eigen::Ref<const Eigen::MatrixXd>& w) override;

  // Fan-out of one presynaptic neuron: targets and weights.
  std::span<const std::uint32_t> targets(std::uint32_t pre) const noexcept {
    return {post_.data() + row_ptr_[pre], post_.data() + row_ptr_[pre + 1]};
  }
  std::span<const double> weights(std::uint32_t pre) const noexcept {
    return {weight_.data() + row_ptr_[pre], weight_.data() + row_ptr_[pre + 1]};
  }

 private:
  std::size_t n_pre_, n_post_;
  std::vector<std::size_t> row_ptr_;  // n_pre + 1 offsets
  std::vector<std::uint32_t> post_;
  std::vector<double> weight_;
  // When every presynaptic row has one weight (e.g. Brunel's J and -gJ), deliver_spikes
  // reads it once per spike instead of once per synapse: 4 instead of 12 bytes per event.
  void update_row_weights();
  std::vector<double> row_weight_;  // empty unless all rows are uniform
};

}  // namespace chaoschip
