#pragma once
// The run configuration: every key with its default (docs/config.md lists them),
// parsed from TOML, validated (unknown keys, wrong types and out-of-range values are
// parameter_errors naming the dotted key and its line), and written back as TOML.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chaoschip::io {

struct network_config {
  std::string model = "lif";  // rate | rate_ode | lif | alif
  std::int64_t n_in = 100;
  std::int64_t n_rec = 100;
  std::int64_t n_out = 1;
  double gain = 1.0;
  std::string init = "gaussian";  // gaussian | orthogonal | file
  bool autapses = false;
  double dt = 1.0;  // ms
  std::string file;
  // Additions to the contract:
  std::int64_t delay_rec = 1;          // recurrent delay in steps (>= 1)
  std::string connectivity = "dense";  // dense | sparse (CSR projections)
  double input_gain = 1.0;             // W_in ~ input_gain N(0,1)/sqrt(n_in)
  std::string source = "config";       // config (these keys) | nir (the graph in `file`)

  bool operator==(const network_config&) const = default;
};

struct neuron_config {
  double tau_m = 30.0;
  double v_th = 0.03;
  double t_ref = 0.0;
  double gamma = 0.3;
  double tau_a = 2000.0;
  double beta = 1.8;
  std::int64_t n_adaptive = -1;
  bool regular_spike_arrival = false;
  double alpha = 1.0;
  std::string phi = "tanh";  // tanh | relu | linear
  // Additions to the contract:
  double tau_syn = 0.0;               // ms; 0 = delta synapses (input goes straight to v)
  std::string reset = "subtract";     // subtract | value
  double v_reset = 0.0;               // reset = "value"
  std::string ode_method = "dopri5";  // dopri5 (adaptive) | rk4 (fixed substeps)
  double ode_tol = 1e-8;              // dopri5 absolute and relative tolerance
  std::int64_t ode_substeps = 10;     // rk4 substeps per dt

  bool operator==(const neuron_config&) const = default;
};

struct readout_config {
  double tau = 30.0;
  std::string loss = "mse";  // mse | cross_entropy

  bool operator==(const readout_config&) const = default;
};

struct chip_config {
  std::string profile = "float64";  // built-in name or path/to/profile.toml
  // Profile fields: unset (-1 or "") takes the profile's value; the resolved config holds
  // them all (see docs/chips.md).
  std::string kernel;             // float64 | fixed | loihi | xylo
  std::int64_t weight_bits = -1;  // 0 = float weights
  std::string quantizer;          // none | per_tensor | per_row | shift | lava | rockpool_*
  std::int64_t state_bits = -1;   // 0 = float state
  std::int64_t state_frac_bits = -1;
  std::int64_t trace_bits = -1;
  std::int64_t trace_frac_bits = -1;
  std::int64_t decay_bits = -1;
  std::string rounding;  // weights: nearest | toward_zero | floor | stochastic
  std::string state_rounding;
  std::string update_rounding;
  std::string update_mode;  // direct | shadow
  std::string overflow;     // wrap | saturate
  std::int64_t accumulator_bits = -1;
  std::int64_t max_spikes = -1;
  bool operator==(const chip_config&) const = default;
};

struct task_config {
  std::string name = "sine";
  std::string file;
  // Additions to the contract:
  std::int64_t steps = 1000;  // sequence length (generated tasks)
  double input_rate = 50.0;   // Hz, Poisson-like input spikes (sine; base rate elsewhere)
  std::int64_t delay = 50;    // steps: copy / delayed_xor lag, dms and evidence delay
  double coherence = 0.5;     // decision: evidence strength in [0, 1]

  bool operator==(const task_config&) const = default;
};

struct train_config {
  std::string rule = "eprop";
  std::string variant = "default";
  std::string feedback = "random";
  // Adam at 5e-3 with NEST's rate regularisation: SGD at 1e-4 without it diverged on the
  // default network (docs/learning.md, "Defaults").
  std::string optimizer = "adam";
  double eta = 5e-3;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  std::int64_t iterations = 100;
  std::int64_t batch = 1;
  double c_reg = 300.0;
  double f_target = 10.0;
  bool average_gradient = false;
  // Additions to the contract:
  double momentum = 0.0;        // sgd momentum (0: plain gradient descent)
  bool reset_gradient = false;  // bptt: propagate through the LIF reset (Bellec: stop-gradient)
  double w_min = -100.0;        // weights are clipped to [w_min, w_max] after every update (NEST)
  double w_max = 100.0;
  // `chaoschip run` checkpoints to OUT.ckpt every N iterations (0: only on SIGINT).
  std::int64_t checkpoint_every = 0;

  bool operator==(const train_config&) const = default;
};

struct floss_config {
  bool enabled = false;
  std::string variant = "local";
  std::int64_t k = 1;
  double target = 0.0;
  std::int64_t pre_epochs = 0;
  std::int64_t every = 0;
  std::int64_t epochs = 0;
  std::int64_t warmup = 15;  // window steps not counted (Engelken: 15 of 55)
  std::int64_t steps = 40;   // counted window steps, QR every step
  double eta = 0.0;          // learning rate of the flossing updates (0: train.eta)
  std::int64_t batch = 1;    // windows averaged per flossing epoch

  bool operator==(const floss_config&) const = default;
};

struct lyapunov_config {
  std::int64_t k = 1;
  std::int64_t steps = 2000;
  std::int64_t warmup = 500;
  std::int64_t ons_interval = 1;
  std::vector<std::string> when = {"before", "after"};
  std::int64_t checkpoints = 100;  // rows of the convergence history (at most)
  std::string input = "task";      // drive during the measurement: "task" | "none"
  double initial_scale = 1.0;      // initial state: h ~ N(0, s^2) (rate), v ~ s v_th N(0,1) (lif)
  std::int64_t initial_seed = -1;  // -1: stream "lyapunov.initial" of the master seed
  std::int64_t tangent_seed = -1;  // -1: stream "lyapunov.tangent" of the master seed
  bool twin = false;               // also the twin-trajectory estimate of lambda_max
  double twin_epsilon = 1e-8;      // twin perturbation size

  bool operator==(const lyapunov_config&) const = default;
};

// How a NIR graph (network.source = "nir") is simulated (docs/nir.md).
struct nir_config {
  std::string integrator = "exact";  // exact (zero-order hold) | euler
  std::string reset = "value";       // value (to v_reset, as NIR says) | subtract
  double dt = 0.0;                   // s; 0 = network.dt / 1000 (nir_step)
  std::string recurrent;             // the population Lyapunov spectra are taken of ("" = found)
  bool operator==(const nir_config&) const = default;
};

struct record_config {
  bool states = false;
  bool spikes = true;

  bool operator==(const record_config&) const = default;
};

struct run_config {
  std::int64_t seed = 1;
  network_config network;
  neuron_config neuron;
  readout_config readout;
  chip_config chip;
  task_config task;
  train_config train;
  floss_config floss;
  lyapunov_config lyapunov;
  record_config record;
  nir_config nir;

  bool operator==(const run_config&) const = default;
};

// Parses TOML text. `source` names it in messages (a path, or "<default>").
// `overrides` are "dotted.key=VALUE" strings (VALUE parsed as a TOML value), applied on top.
// Relative paths (network.file, task.file, a chip.profile file) become absolute: those in
// the text against `base_dir` (empty: the current directory), overrides against the
// current directory.
run_config parse_config(std::string_view toml_text, std::string_view source,
                        const std::vector<std::string>& overrides = {},
                        const std::string& base_dir = {});
// Reads and parses a file (file_error if it cannot be read); relative paths in it are
// relative to its folder.
run_config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// The step of a NIR graph in seconds: nir.dt, or network.dt / 1000 when it is 0.
double nir_step(const run_config& config);

// One key of the schema, as docs/config.md lists it.
struct key_description {
  std::string key;            // dotted path
  std::string type;           // int | number | bool | string | string array
  std::string default_value;  // as TOML; "" for chip profile fields (the profile's value)
  std::string allowed;        // what an error message says is expected ("" for booleans)
};
std::vector<key_description> describe_config();

// The full resolved config as TOML text (every key, defaults filled in).
std::string to_toml(const run_config& config);

}  // namespace chaoschip::io
