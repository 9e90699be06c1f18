#pragma once
// A LIF neuron in generic fixed-point arithmetic: the float model's equations and event
// order (models/lif.hpp), with the state held as integer codes of a fixed_format and the
// decays as unsigned 0.decay_bits multipliers. SpiNNaker's arithmetic is the instance
// s16.15 state, u0.32 decays, truncating multiplies; custom what-if chips set the widths.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"

namespace chaoschip::neuromorphic {

struct fixed_lif_parameters {
  fixed_format state{32, 15, true};  // s16.15
  overflow over = overflow::saturate;
  rounding multiply_rounding = rounding::floor;  // of (x * decay) >> decay_bits
  int decay_bits = 32;                           // decays as u0.decay_bits
  std::int64_t alpha = 0;                        // exp(-dt/tau_m) as a u0.decay_bits code
  std::int64_t alpha_syn = 0;                    // exp(-dt/tau_syn) (0: delta synapses)
  std::int64_t p21 = 0;   // exponential-synapse propagator to v, u0.decay_bits
  std::int64_t v_th = 0;  // state codes
  std::int64_t v_reset = 0;
  int refractory_steps = 0;
  bool reset_to_value = false;  // else reset by subtraction
  // Learning only: the pseudo-derivative gamma / v_th max(0, 1 - |v - v_th| / v_th) per state
  // code (0 while refractory), as the float LIF computes it per unit of v.
  double gamma = 0.3;
};

class fixed_lif : public with_recordables<fixed_lif> {
 public:
  using parameters = fixed_lif_parameters;
  struct state {
    int_array v, i_syn;
    Eigen::ArrayXd z;
    Eigen::ArrayXi ref;
    std::vector<std::uint32_t> spiking;
    Eigen::ArrayXd psi;  // pseudo-derivative of the last step (learning)
  };
  static constexpr output_kind output = output_kind::spikes;

  explicit fixed_lif(const parameters& p);
  std::string_view name() const noexcept { return "fixed_lif"; }
  state make_state(std::size_t n) const;
  // `input`: summed weights in state codes (integers held in doubles).
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;

  // i_syn is always readable and settable, but recorded only with exponential synapses.
  static constexpr auto recordables() {
    using r = recordable<fixed_lif>;
    return std::array{
        r{"v", &state::v},
        r{.name = "i_syn", .member = &state::i_syn, .listed = &fixed_lif::has_synapse}};
  }
  bool has_synapse() const noexcept { return p_.alpha_syn > 0; }
  const parameters& params() const noexcept { return p_; }

 private:
  std::int64_t mul(std::int64_t x, std::int64_t c) const noexcept;
  std::int64_t fit(std::int64_t x) const noexcept { return apply_overflow(x, p_.state, p_.over); }
  parameters p_;
};

}  // namespace chaoschip::neuromorphic
