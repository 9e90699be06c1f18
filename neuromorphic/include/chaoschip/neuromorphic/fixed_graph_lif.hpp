#pragma once
// NIR's LIF and CubaLIF in generic fixed point, for NIR graphs on the `fixed` kernel
// (SpiNNaker-like and custom profiles; docs/nir.md, "Graphs on a chip"). A sibling of
// fixed_lif rather than an extension: NIR's event order differs from the float LIF's
// (the current is updated first and drives v in the same step; the threshold is strict;
// the reset, to a value or by subtraction, happens in the step of the spike). Per step:
//   i <- fit(i a_syn + in)              (CubaLIF; `in` = summed weights in v codes)
//   v <- fit(v a_mem + i + leak)        (LIF: v a_mem + in + leak)
//   spike where v > v_th; then v <- v_reset, or v <- fit(v - v_th) (subtract)
// with the products `x a` = round(x a_code / 2^decay_bits) (128-bit) in the profile's
// state rounding. Every parameter is one value (the homogeneous fast path) or one per neuron.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"

namespace chaoschip::neuromorphic {

struct fixed_graph_lif_parameters {
  fixed_format state{32, 15, true};
  overflow over = overflow::saturate;
  rounding multiply_rounding = rounding::floor;
  int decay_bits = 32;
  bool synapse = false;   // CubaLIF: a synaptic current i (else LIF: input straight into v)
  bool subtract = false;  // reset by subtracting v_th (else to v_reset)
  // One value, or one per neuron. Decays as u0.decay_bits codes; the rest in state codes.
  int_array alpha_syn = int_array::Zero(1), alpha = int_array::Zero(1);
  int_array leak = int_array::Zero(1), v_th = int_array::Ones(1), v_reset = int_array::Zero(1);
  double gamma = 0.3;  // pseudo-derivative height (as fixed_lif), per unit of v_th
};

class fixed_graph_lif : public with_recordables<fixed_graph_lif> {
 public:
  using parameters = fixed_graph_lif_parameters;
  struct state {
    int_array v, i_syn;
    Eigen::ArrayXd z, psi;
    std::vector<std::uint32_t> spiking;
  };
  static constexpr output_kind output = output_kind::spikes;

  explicit fixed_graph_lif(const parameters& p);
  std::string_view name() const noexcept { return "fixed_graph_lif"; }
  state make_state(std::size_t n) const;
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;

  static constexpr auto recordables() {
    using r = recordable<fixed_graph_lif>;
    return std::array{
        r{"v", &state::v},
        r{.name = "i", .member = &state::i_syn, .listed = &fixed_graph_lif::has_synapse}};
  }
  bool has_synapse() const noexcept { return p_.synapse; }
  const parameters& params() const noexcept { return p_; }

 private:
  template <bool uniform>
  void step_impl(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  std::int64_t mul(std::int64_t x, std::int64_t c) const noexcept;
  std::int64_t fit(std::int64_t x) const noexcept { return apply_overflow(x, p_.state, p_.over); }
  parameters p_;
  bool uniform_ = true;
};

}  // namespace chaoschip::neuromorphic
