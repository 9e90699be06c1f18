#pragma once
// Loihi, bit-accurate to Lava's PyLifModelBitAcc and PyDenseModelBitAcc (lava-nc/lava,
// src/lava/proc/lif/models.py @ f2a3ba91, src/lava/proc/dense/models.py @ 57f6946f; see
// docs/chips.md). Per step:
//   u <- sign(p) (|p| >> 12) + (a << 6),  p = u (4096 - (du + 1))      (ds_offset = 1)
//        then one conditional wrap: u > 2^23 -> u - 2^24; (original) u <= -2^23 -> + 2^24
//   v <- clip(sign(q) (|q| >> 12) + u + bias_mant << bias_exp, +-(2^23 - 1)),  q = v (4096 - dv)
//   spike where v > vth << 6; spiking neurons reset v = 0 (u is kept; no refractoriness)
// The Dense synapse sends in step t the activation of the spikes it received in step t-1:
// a = (sum of integer weights) << weight_exp (>> floors for a negative exponent); chaoschip
// expresses that one-step delay as a projection delay of 1.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/recordables.hpp"

namespace chaoschip::neuromorphic {

using int_array = Eigen::Array<std::int64_t, Eigen::Dynamic, 1>;

struct loihi_lif_parameters {
  std::int64_t du = 0;         // 12-bit current decay, 0..4095
  std::int64_t dv = 0;         // 12-bit voltage decay, 0..4095
  std::int64_t vth = 10;       // threshold mantissa (17-bit unsigned)
  std::int64_t bias_mant = 0;  // 13-bit signed
  std::int64_t bias_exp = 0;
  int state_bits = 24;  // u and v width (what-if: other widths)
  // Learning only: the pseudo-derivative gamma / V max(0, 1 - |v - V| / V), V = vth << 6,
  // of the membrane before its reset (per unit of the integer v). Not part of the chip.
  double gamma = 0.3;
  // Per-neuron values, as Lava's LIF holds du, dv, vth, bias_mant and bias_exp: each array
  // empty (every neuron takes the scalar above: the homogeneous fast path) or one value per
  // neuron. NIR graphs on the chip (docs/nir.md, "Graphs on a chip").
  int_array du_n{}, dv_n{}, vth_n{}, bias_mant_n{}, bias_exp_n{};
  bool per_neuron() const noexcept {
    return du_n.size() + dv_n.size() + vth_n.size() + bias_mant_n.size() + bias_exp_n.size() > 0;
  }
};

class loihi_lif : public with_recordables<loihi_lif> {
 public:
  using parameters = loihi_lif_parameters;
  struct state {
    int_array u, v;
    Eigen::ArrayXd z;    // 0/1 spikes of the last step
    Eigen::ArrayXd psi;  // pseudo-derivative of the last step (learning)
    std::vector<std::uint32_t> spiking;
  };
  static constexpr output_kind output = output_kind::spikes;

  explicit loihi_lif(const parameters& p);
  std::string_view name() const noexcept { return "loihi_lif"; }
  state make_state(std::size_t n) const;
  // `input` = the activation a arriving at this step (integers held in doubles).
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;

  static constexpr auto recordables() {
    return std::array{recordable<loihi_lif>{"u", &state::u}, recordable<loihi_lif>{"v", &state::v}};
  }
  const parameters& params() const noexcept { return p_; }

 private:
  void step_per_neuron(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  parameters p_;
  std::int64_t max_uv_;  // 2^(state_bits - 1)
};

// Dense bit-accurate synapse: integer weights [post, pre] (already clipped and truncated),
// activation = (sum over spiking inputs) shifted by weight_exp, per step.
class loihi_dense final : public projection {
 public:
  loihi_dense(Eigen::MatrixXd integer_weights, int weight_exp);

  std::size_t n_pre() const noexcept override { return static_cast<std::size_t>(w_.cols()); }
  std::size_t n_post() const noexcept override { return static_cast<std::size_t>(w_.rows()); }
  std::size_t n_synapses() const noexcept override { return static_cast<std::size_t>(w_.size()); }
  void deliver_spikes(std::span<const std::uint32_t> spiking_pre,
                      double* target) const noexcept override;
  void deliver_rates(const Eigen::Ref<const Eigen::VectorXd>& x,
                     Eigen::Ref<Eigen::VectorXd> target) const override;
  // The effective (real-valued) weights w 2^weight_exp for tangent-space use.
  void apply(const Eigen::Ref<const Eigen::MatrixXd>& in,
             Eigen::Ref<Eigen::MatrixXd> out) const override;
  void apply_transpose(const Eigen::Ref<const Eigen::MatrixXd>& in,
                       Eigen::Ref<Eigen::MatrixXd> out) const override;
  Eigen::MatrixXd to_dense() const override;
  void assign(const Eigen::Ref<const Eigen::MatrixXd>& w) override;

  const Eigen::MatrixXd& integer_weights() const noexcept { return w_; }
  // Replace the integer weights (on-chip learning); they must be integers.
  void set_integer_weights(const Eigen::Ref<const Eigen::MatrixXd>& codes);
  int weight_exp() const noexcept { return weight_exp_; }

 private:
  std::int64_t shift(std::int64_t acc) const noexcept {
    return weight_exp_ >= 0 ? acc * (std::int64_t{1} << weight_exp_) : acc >> -weight_exp_;
  }
  Eigen::MatrixXd w_;
  int weight_exp_;
  mutable Eigen::VectorXd acc_;  // per-step sum (exact: integers below 2^53)
};

}  // namespace chaoschip::neuromorphic
