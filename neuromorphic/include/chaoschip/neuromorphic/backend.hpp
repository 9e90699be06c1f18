#pragma once
// Chip-kernel backends: everything that differs between the kernels (float64, fixed, loihi,
// xylo) behind one interface, chosen once from a profile's kernel_kind (make_backend, the
// one table). A backend owns the weight mapping, the recurrent layer it builds (population,
// input and recurrent projections, the input delay), the scale of its pseudo-derivative,
// its on-chip update grid (grid step, code range, rounding of updates, writing codes back),
// the arithmetic of its learning traces and the names of its /chip/ datasets.
// docs/chips.md describes the arithmetic.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"
#include "chaoschip/neuromorphic/mapping.hpp"
#include "chaoschip/neuromorphic/profile.hpp"

namespace chaoschip::neuromorphic {

// The grid learning updates land on, in code units: codes stay multiples of `step`
// within [lo, hi].
struct update_grid {
  double step = 1.0;
  double lo = 0.0, hi = 0.0;
};

// How the presynaptic e-prop traces are computed on the kernel, as plain settings the
// learning rule consumes (bits = 0: float traces). frac_bits = -1: Loihi's impulse traces
// (integer spike counts, stochastic decay); else unsigned fixed point with frac_bits
// fractional bits whose decay is rounded by `decay_rounding`.
struct trace_arithmetic {
  int bits = 0;
  int frac_bits = -1;
  rounding decay_rounding = rounding::floor;
};

// What a backend needs from the layers above to build the recurrent layer: the float
// recurrent population (models/) and a projection of float weights per connectivity
// (dense or CSR). Kernels with their own arithmetic ignore what they do not use.
struct layer_parts {
  std::function<std::unique_ptr<population>()> float_population;
  std::function<std::unique_ptr<projection>(const Eigen::MatrixXd&)> float_projection;
};

// The recurrent layer as a kernel builds it.
struct recurrent_layer {
  std::unique_ptr<population> recurrent;
  std::unique_ptr<projection> input, rec;
  std::uint32_t input_delay = 0;  // steps the kernel's synapses add to the input
};

// A NIR graph's neuron node as a kernel builds it: its population (null on the float64
// kernel: the float model runs) and one projection per weight matrix into it.
struct graph_layer {
  std::unique_ptr<population> neurons;
  std::vector<std::unique_ptr<projection>> inputs;
  graph_mapping mapping;        // the codes (and the float weights they stand for)
  std::uint32_t min_delay = 0;  // steps every projection into it takes at least
  bool integer_state = false;   // the population's state is the chip's integers
};

class backend {
 public:
  explicit backend(chip_profile profile) : profile_(std::move(profile)) {}
  virtual ~backend() = default;
  backend(const backend&) = delete;
  backend& operator=(const backend&) = delete;

  const chip_profile& profile() const noexcept { return profile_; }
  kernel_kind kind() const noexcept { return profile_.kernel; }
  // Whether the profile maps weights to integer codes (weight_bits > 0); else float weights.
  bool quantises() const noexcept { return profile_.weight_bits > 0; }

  // --- capabilities (what the config may ask of this kernel) ---
  // The recurrent layer runs the float models (any network.model); else LIF only.
  virtual bool float_models() const noexcept { return false; }
  // Learning (e-prop, BPTT, flossing) on this kernel.
  virtual bool learns() const noexcept { return true; }
  // Integer traces are Loihi's impulse traces (no trace_frac_bits); else fixed point.
  virtual bool impulse_traces() const noexcept { return false; }

  // --- weights ---
  // The profile's integer weights and parameters for the float network; the learning
  // rules' pseudo-derivative gamma is set in the integer kernels' units. `seed`: the
  // "chip.weights" stream for stochastic rounding.
  chip_mapping map_weights(const float_lif& neuron, const Eigen::MatrixXd& w_in,
                           const Eigen::MatrixXd& w_rec, double gamma, std::uint64_t seed) const;
  // The kernel's own mapping of float weights to codes (no validation; map_weights and
  // map_to_chip validate first).
  virtual chip_mapping map_codes(const float_lif& neuron, const Eigen::MatrixXd& w_in,
                                 const Eigen::MatrixXd& w_rec, stochastic_source* source) const = 0;
  // The recurrent population with its input and recurrent projections. `mapping` is null
  // when the profile does not quantise (float64 kernel with float weights only).
  virtual recurrent_layer make_layer(const chip_mapping* mapping, const Eigen::MatrixXd& w_in,
                                     const Eigen::MatrixXd& w_rec, std::size_t n_rec,
                                     const layer_parts& parts) const = 0;
  // The float weights the codes stand for (what learning rules and spectra see).
  Eigen::MatrixXd float_weights(const chip_weights& cw) const { return dequantize(cw); }

  // --- learning ---
  // Pseudo-derivative per unit of the float membrane, per unit of the kernel's own psi:
  // d/dv_float = sigma d/dv_int on the integer-state kernels, 1 on float64.
  virtual double psi_scale(const chip_mapping&) const noexcept { return 1.0; }
  // The membrane decay per step the kernel really applies (learning rules' alpha), when
  // it is not the float model's exp(-dt/tau_m).
  virtual std::optional<double> membrane_decay(const chip_mapping&) const { return {}; }
  // The gain of a presynaptic spike into the membrane (learning rules' c_z), when the
  // kernel fixes it rather than deriving it from the decay.
  virtual std::optional<double> input_gain(const float_lif&) const { return {}; }
  // The grid updates of `codes` land on (chips.md, "Low-precision learning"): float64 and
  // fixed codes are symmetric, +-(2^(weight_bits-1) - 1) in steps of 1.
  virtual update_grid grid(const Eigen::MatrixXd& codes) const;
  // The codes after one learning step. update_mode direct: `w` is the float step (after -
  // before) added to the codes in grid steps, each rounded with the profile's
  // update_rounding (under nearest rounding a step below half a grid step is lost);
  // shadow: `w` are the shadow float weights, re-quantised whole. `row_scale`: the float
  // weight per code of each row. Clipped to the grid's range. Draws one call of `updates`.
  Eigen::MatrixXd update_codes(const Eigen::MatrixXd& codes, const Eigen::VectorXd& row_scale,
                               const Eigen::MatrixXd& w, stochastic_source& updates) const;
  // The codes a projection holds now.
  virtual Eigen::MatrixXd codes_of(const projection& p, const chip_weights& cw) const;
  // Writes learned codes into the projection (in the units it computes with) and `cw`.
  virtual void assign_codes(projection& p, chip_weights& cw, const Eigen::MatrixXd& codes) const;
  // A projection's weights as it holds them (Loihi's Dense: its integer weights; else the
  // float weights or state units), and putting them back: what checkpoints keep.
  virtual Eigen::MatrixXd held_weights(const projection& p) const { return p.to_dense(); }
  virtual void set_held_weights(projection& p, const Eigen::MatrixXd& w) const { p.assign(w); }
  // The e-prop traces' arithmetic on this kernel.
  virtual trace_arithmetic traces() const noexcept;

  // --- NIR graphs (docs/nir.md, "Graphs on a chip") ---
  // A neuron node of a graph and its input matrices `w` ([n, pre], a bias as [n, 1]) on
  // this kernel. parameter_error (exit 2) naming the node for what the kernel cannot run.
  virtual graph_layer make_graph_layer(const graph_neurons& g,
                                       const std::vector<Eigen::MatrixXd>& w,
                                       stochastic_source* source) const;

  // --- run file ---
  // The name of a projection's exponent under /chip/ (weight_exp on Loihi, else weight_shift).
  virtual std::string_view exponent_dataset() const noexcept { return "weight_shift"; }

 private:
  chip_profile profile_;
};

// The backend of the profile's kernel (the one table from kernel_kind to backend).
std::unique_ptr<backend> make_backend(const chip_profile& profile);

}  // namespace chaoschip::neuromorphic
