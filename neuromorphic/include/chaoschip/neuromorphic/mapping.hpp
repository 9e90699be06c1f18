#pragma once
// From a float LIF network to a chip profile's integer parameters and weights
// (docs/chips.md, "Mapping"). The float model's membrane is v (threshold v_th); an input
// spike of weight w adds c_in w to it (c_in = 1 - exp(-dt/tau_m), or 1 with regular spike
// arrival). Every mapping chooses a scale sigma (state codes per unit of v), expresses
// c_in w and v_th in those codes, and quantises the weights with the profile's quantiser.
#include <map>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/neuromorphic/fixed_graph_lif.hpp"
#include "chaoschip/neuromorphic/fixed_lif.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"
#include "chaoschip/neuromorphic/profile.hpp"
#include "chaoschip/neuromorphic/xylo.hpp"

namespace chaoschip::neuromorphic {

struct float_lif {
  double dt = 1.0, tau_m = 30.0, tau_syn = 0.0, v_th = 0.03, v_reset = 0.0, t_ref = 0.0;
  double c_in = 1.0;  // input gain of a spike's weight into v (delta synapses)
  bool reset_to_value = false;
};

// Integer weights of one projection with how they are applied.
struct chip_weights {
  Eigen::MatrixXd codes;  // integers, [post, pre]
  int exponent = 0;       // loihi weight_exp, xylo/fixed weight_shift: effective = codes 2^exp
  Eigen::VectorXd scale;  // float weight per code (size 1, or per row): w ~ codes * scale
};

// The float weights codes stand for: codes times their (per-tensor or per-row) scale.
Eigen::MatrixXd dequantize(const chip_weights& w);

struct chip_mapping {
  kernel_kind kernel = kernel_kind::float64;
  loihi_lif_parameters loihi;
  xylo_parameters xylo;
  fixed_lif_parameters fixed;
  chip_weights w_in, w_rec;
  double sigma = 1.0;  // state codes per unit of the float membrane v
  // The integer parameters of the profile's arithmetic, as stored under /chip/.
  std::map<std::string, Eigen::VectorXd> parameters;  // scalars have size 1
  // The float weights the chip's weights stand for (codes * scale); what a float64
  // kernel with quantised weights simulates.
  Eigen::MatrixXd dequantized_in() const;
  Eigen::MatrixXd dequantized_rec() const;
};

// Each kernel's mapping (docs/chips.md, "Mapping"); the backends call them. `source` is
// needed when the profile rounds weights stochastically.
chip_mapping map_float(const chip_profile& p, const float_lif& neuron, const Eigen::MatrixXd& w_in,
                       const Eigen::MatrixXd& w_rec, stochastic_source* source);
chip_mapping map_fixed(const chip_profile& p, const float_lif& neuron, const Eigen::MatrixXd& w_in,
                       const Eigen::MatrixXd& w_rec, stochastic_source* source);
chip_mapping map_loihi(const chip_profile& p, const float_lif& neuron, const Eigen::MatrixXd& w_in,
                       const Eigen::MatrixXd& w_rec, stochastic_source* source);
chip_mapping map_xylo(const chip_profile& p, const float_lif& neuron, const Eigen::MatrixXd& w_in,
                      const Eigen::MatrixXd& w_rec, stochastic_source* source);

// A spiking node of a NIR graph (LIF or CubaLIF) as the kernels map it (docs/nir.md,
// "Graphs on a chip"): NIR's equations over one step, in units of NIR's v, with the synaptic
// current expressed by its contribution to v (u = (1 - decay_mem) r i):
//   u' = decay_syn u + gain I            (CubaLIF; LIF: u' = gain I)
//   v' = decay_mem v + u' + leak,  spike where v' > v_th, then the reset
// I is the node's summed weighted input (weights times spikes, plus biases) of the step.
// Arrays have one value per neuron.
struct graph_neurons {
  std::string name, type;  // the NIR node and its type, for messages
  bool lif = false;        // a LIF or CubaLIF node (the arrays below are set); else refused
  bool synapse = false;    // CubaLIF
  Eigen::ArrayXd decay_syn, decay_mem;
  Eigen::ArrayXd gain;  // CubaLIF (1 - decay_syn) w_in (1 - decay_mem) r; LIF (1 - decay_mem) r
  Eigen::ArrayXd leak;  // (1 - decay_mem) v_leak
  Eigen::ArrayXd v_th, v_reset;
  bool subtract = false;  // nir.reset = "subtract"
};

// A graph node's integer parameters and the codes of every weight matrix into it (in the
// order given; a bias is a one-column matrix from an always-on source). The scale of each
// chip_weights is per row: the float weight (NIR's units) per code of that target neuron.
struct graph_mapping {
  loihi_lif_parameters loihi;
  fixed_graph_lif_parameters fixed;
  std::vector<chip_weights> weights;
  double sigma = 1.0;  // state codes per unit of NIR's v
};
graph_mapping map_graph_loihi(const chip_profile& p, const graph_neurons& g,
                              const std::vector<Eigen::MatrixXd>& w, stochastic_source* source);
graph_mapping map_graph_fixed(const chip_profile& p, const graph_neurons& g,
                              const std::vector<Eigen::MatrixXd>& w, stochastic_source* source);
// float64 kernel: each matrix quantised on its own (per_tensor, per_row or shift), or kept
// (weight_bits = 0: codes = the weights, scale 1).
graph_mapping map_graph_float(const chip_profile& p, const std::vector<Eigen::MatrixXd>& w,
                              stochastic_source* source);

// The profile's mapping (validated; through the kernel's backend). `source` is needed when
// the profile rounds weights stochastically.
chip_mapping map_to_chip(const chip_profile& profile, const float_lif& neuron,
                         const Eigen::MatrixXd& w_in, const Eigen::MatrixXd& w_rec,
                         stochastic_source* source = nullptr);

}  // namespace chaoschip::neuromorphic
