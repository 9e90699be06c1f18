#pragma once
// e-prop (Bellec et al. 2020) for LIF networks with a leaky readout, as NEST's
// *_bsshslm_2020 models compute it (docs/eprop_nest.md, sections 3-6).
//
// From one sequence's trajectory (input spikes x, recurrent spikes z, pseudo-derivatives
// psi, readout y, all [T, n]) the gradients are
//   zbar_in[j]  = alpha zbar_in[j-1] + c_z x[j]
//   zbar_rec[j] = alpha zbar_rec[j-1] + c_z z[j-1]                 (the spike arrives at j)
//   e_rp[j]     = psi_r[j] zbar_p[j],  ebar = kappa ebar + (1 - kappa) e
//   g_rp        = sum_j L_r[j] ebar_rp[j] + R_r sum_j e_rp[j],  L = B E,  E = y - y*
//   R_r         = c_reg (n_r / T - f_target) / T                   (firing-rate regulariser)
//   g_kr (out)  = sum_j E_k[j] zbar_out_r[j],  zbar_out[j] = alpha_out zbar_out[j-1] + c_out z[j]
// The per-synapse filter is evaluated as sum_i A_r[i] zbar_p[i], A_r[i] = psi_r[i] (w_r[i] +
// lambda_r[i]), with w = Ltilde + R, the learning signal filtered backwards (Ltilde[i] =
// (1 - kappa) sum_{j>=i} kappa^(j-i) L[j]) and lambda the adjoint of the adaptation
// eligibility (0 without adaptation): the same numbers as the online per-synapse traces (to
// round-off), as one matrix product per weight matrix, or, for spike trains, as a sum over
// the presynaptic spikes of A filtered backwards with alpha (the event path, below).
#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

namespace chaoschip::models {

using row_matrix_d = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A population's spikes over a sequence, step by step: the neurons that spiked at step j are
// ids[offsets[j]] .. ids[offsets[j + 1] - 1] (a neuron listed k times counts k). The event
// form of a [T, n] spike-count matrix: recording and reading it cost O(spikes), not O(T n).
struct spike_list {
  Eigen::Index n = 0;                   // population size
  std::vector<std::size_t> offsets{0};  // steps() + 1
  std::vector<std::uint32_t> ids;

  Eigen::Index steps() const noexcept { return static_cast<Eigen::Index>(offsets.size()) - 1; }
  std::span<const std::uint32_t> at(Eigen::Index j) const noexcept {
    const auto k = static_cast<std::size_t>(j);
    return {ids.data() + offsets[k], ids.data() + offsets[k + 1]};
  }
  // Empties the list for a population of `size`, keeping the capacity (one list is reused
  // for every sequence of a training run).
  void clear(Eigen::Index size) {
    n = size;
    offsets.assign(1, 0);
    ids.clear();
  }
  void push_step(std::span<const std::uint32_t> spiking) {
    ids.insert(ids.end(), spiking.begin(), spiking.end());
    offsets.push_back(ids.size());
  }
  row_matrix_d dense() const;  // [steps(), n] spike counts
};

// Row-major: one contiguous row per step, as the rules walk through time.
struct eprop_trajectory {
  row_matrix_d x;    // [T, n_in] input spikes
  row_matrix_d z;    // [T, n_rec] recurrent spikes
  row_matrix_d psi;  // [T, n_rec] pseudo-derivatives
  row_matrix_d y;    // [T, n_out] readout
  // Spiking networks may give x and/or z as spike lists instead, leaving the matrix empty
  // (0 x 0): eprop_gradients_of then reads the events, and never builds the dense matrix
  // unless a dense presynaptic path needs it; with z as a list, the readout's gradient is a
  // sum over the recurrent spikes too (c_out times E filtered backwards with alpha_out).
  // bptt_gradients needs the dense matrices.
  spike_list x_events, z_events;
};

struct eprop_settings {
  double alpha = 0.0;      // recurrent membrane decay exp(-dt/tau_m)
  double c_z = 0.0;        // presynaptic trace gain (1 - alpha, or 1 with regular arrival)
  double kappa = 0.0;      // eligibility filter exp(-dt/tau_readout)
  double alpha_out = 0.0;  // readout decay
  double c_out = 0.0;      // readout input gain
  double c_reg = 0.0;      // firing-rate regularisation strength
  double f_target = 0.0;   // target spikes per step
  bool average_gradient = false;
  // How the presynaptic side is summed: `dense` multiplies the per-step factors with the
  // traces of every presynaptic neuron (rate networks, dense activity); `event` sums, per
  // presynaptic spike, the factors filtered backwards with the trace constant (cost
  // spikes x n_post, as NEST's newer e-prop models compute a synapse's gradient at its
  // presynaptic spikes from the postsynaptic history); `automatic` picks per matrix from
  // the activity. The results agree to round-off.
  enum class path { automatic, dense, event } presynaptic = path::automatic;
  // On-chip traces (trace_bits > 0): the presynaptic traces are kept as unsigned
  // trace_bits-bit integers, as Loihi's learning engine keeps them: decay
  // x <- floor(x alpha + u) with a uniform u (stochastic rounding), a spike adds the impulse
  // 2^(trace_bits - 2) (standing for c_z), saturation at 2^trace_bits - 1. Forces the
  // dense presynaptic path. `trace_seed` keys the rounding draws.
  //
  // With trace_frac_bits >= 0 the traces are instead generic unsigned fixed-point numbers
  // (the other chip kernels): value = code 2^-trace_frac_bits, a spike adds
  // round(c_z 2^trace_frac_bits), the decay x alpha is rounded by `trace_rounding`, and
  // codes saturate at 2^trace_bits - 1.
  int trace_bits = 0;
  int trace_frac_bits = -1;  // -1: Loihi's impulse traces
  enum class rounding { nearest, floor, stochastic } trace_rounding = rounding::floor;
  std::uint64_t trace_seed = 0;
  // ALIF: adaptation decay rho and per-neuron strength beta (empty: no adaptation). The
  // eligibility gains the adaptation vector: e = psi (zbar - beta eps[j-1]),
  // eps[j] = rho eps[j-1] + e[j] (docs/eprop_nest.md, section 4).
  double rho = 0.0;
  Eigen::VectorXd beta;
  // NEST's "late learning signal" (docs/eprop_nest.md, section 5): NEST computes an input synapse's
  // gradient when the presynaptic neuron's first spike of the next interval arrives; when
  // that is at interval step 1, the learning signal of the last step has not arrived yet,
  // and the term L_r[T-1] ebar_rp[T-1] is missing. These are the inputs spiking at step 1 of
  // the next sequence (empty: no artifact).
  std::vector<std::uint32_t> late_signal_inputs;
};

struct eprop_gradients {
  Eigen::MatrixXd w_in, w_rec, w_out;  // [post, pre]
  // train.average_gradient: divide everything by the learning window's length.
  void average_over(std::size_t window_length) {
    if (window_length == 0) return;
    const double inv = 1.0 / static_cast<double>(window_length);
    w_in *= inv;
    w_rec *= inv;
    w_out *= inv;
  }
};

// `error` [T, n_out]: the readout error E (models/loss.hpp), zero outside the learning
// window of `window_length` steps; `feedback` B [n_rec, n_out]. For rate networks the same
// rule is RFLO-like e-prop: psi = phi'(h), z = the rates, alpha = 1 - leak, c_z = leak.
eprop_gradients eprop_gradients_of(const eprop_trajectory& tr, const Eigen::MatrixXd& error,
                                   std::size_t window_length, const Eigen::MatrixXd& feedback,
                                   const eprop_settings& s);

}  // namespace chaoschip::models
