#pragma once
// HDF5 run files (docs/file_format.md, a stable layout): written atomically, readable by h5py
// and h5dump. Root attributes chaoschip_version, git_revision, created (ISO 8601) and config
// (the resolved config as TOML text). Everything read back is checked against that layout
// and the config before it is used.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/io/nir.hpp"
#include "chaoschip/models/task.hpp"

namespace chaoschip::io {

using models::row_matrix;

struct run_config;

// A scalar HDF5 attribute: text, an integer (int64) or a number (float64). Numbers are
// stored as numbers, so readers need not parse them.
using attribute_value = std::variant<std::string, std::int64_t, double>;

// The integer an attribute holds: an int64, an integral float64, or (files written before
// numbers were stored as numbers) a string that is exactly an integer. nullopt otherwise.
std::optional<std::int64_t> as_integer(const attribute_value& v);

struct weight_set {
  Eigen::MatrixXd w_in;      // [n_rec, n_in]
  Eigen::MatrixXd w_rec;     // [n_rec, n_rec]
  Eigen::MatrixXd w_out;     // [n_out, n_rec]
  Eigen::MatrixXd feedback;  // [n_rec, n_out]; empty = not stored (final weights)
  // w_in and w_rec are a chip's codes times their scale (read from a chip run file, or a
  // chip run's final weights): already on the profile's grid, not to be mapped again.
  bool dequantized = false;
};

// SONATA spike layout: /spikes/<population>/{timestamps (float64 ms), node_ids (uint64)},
// attribute sorting = "by_time".
struct spike_data {
  std::string population;
  std::vector<double> timestamps;  // ms
  std::vector<std::uint64_t> node_ids;
};

// /states/<population>/<variable>, [T, n] row-major float64 (int64 for integer states).
struct state_data {
  std::string population;
  std::string variable;
  std::size_t steps = 0;
  std::size_t n = 0;
  std::vector<double> values;  // row-major [steps, n]
  bool integer = false;        // the chip's integer state variables
};

// A weight matrix as a fixed-point chip holds it: int32 codes [post, pre] with the scale
// that maps codes back to float weights and the chip's exponent or shift.
struct integer_weights {
  Eigen::MatrixXd codes;
  Eigen::VectorXd scale;                           // one value, or one per row (per target neuron)
  std::map<std::string, std::int64_t> attributes;  // weight_exp (loihi), weight_shift (others)
};

// What a fixed-point chip adds to a run file: /chip/<parameter> and integer weights that
// replace the float datasets of the same name under /network/{initial,final}.
struct chip_data {
  std::map<std::string, Eigen::VectorXd> parameters;  // integers (int64 in the file)
  double sigma = 1.0;  // state codes per unit of the float membrane v (/chip/sigma)
  std::map<std::string, integer_weights> initial, final;
  // chip.update_mode = "shadow": the float64 shadow weights at the end (/chip/shadow/<name>).
  std::map<std::string, Eigen::MatrixXd> shadow;
};

// /lyapunov/<group>/: a spectrum (docs/file_format.md) with how it was measured.
struct lyapunov_data {
  Eigen::VectorXd exponents;                   // [k], descending, 1/step
  Eigen::MatrixXd convergence;                 // [checkpoints, k] running estimates
  std::vector<std::int64_t> checkpoint_steps;  // counted steps at each checkpoint
  std::vector<double> cond;                    // cond(Q) estimate before each QR
  double kaplan_yorke = 0.0;
  double entropy_rate = 0.0;
  double twin = std::numeric_limits<double>::quiet_NaN();  // twin-trajectory lambda_max
  std::string jacobian;  // "exact", "surrogate", "surrogate, dequantized (loihi)", ...
  std::string source;    // "simulated" | "recorded states"
  std::int64_t steps = 0, warmup = 0, ons_interval = 1;
  double dt = 1.0;  // ms per step
};

// A recorded trajectory: /states/<population>/<variable> [T, n] with the group's attributes
// (trajectory, t0, weights).
struct state_log {
  std::vector<std::pair<std::string, row_matrix>> variables;
  std::map<std::string, attribute_value> attributes;
};

// /study/: a table of sub-runs (the default experiment's gain study), one 1-D dataset per
// column.
struct study_table {
  std::vector<std::pair<std::string, std::vector<double>>> numbers;
  std::vector<std::pair<std::string, std::vector<std::string>>> strings;
};

struct run_data {
  std::string config_toml;  // resolved config
  std::optional<weight_set> initial;
  std::optional<weight_set> final;
  std::vector<spike_data> spikes;
  std::vector<state_data> states;
  // Attributes of /states/<population> (trajectory, t0, weights), by population.
  std::map<std::string, std::map<std::string, attribute_value>> states_attributes;
  std::vector<std::pair<std::string, lyapunov_data>> lyapunov;  // by group: before, after
  // /floss/: per flossing epoch, its loss, exponents [k] and the training iterations done.
  std::vector<double> floss_loss;
  std::vector<Eigen::VectorXd> floss_exponents;
  std::vector<std::int64_t> floss_iteration;
  std::optional<study_table> study;
  std::vector<double> train_loss;      // /train/loss when non-empty
  std::vector<double> train_accuracy;  // /train/accuracy when non-empty
  std::optional<chip_data> chip;
  // The NIR graph a run simulated (network.source = "nir"): /nir in NIR's layout.
  std::optional<nir_graph> graph;
  // Extra scalar attributes on the root: steps (int64), dt (float64), model, source.
  std::map<std::string, attribute_value> root_attributes;
};

// Writes `path` atomically: a temporary file in the same directory, renamed on success.
// On any failure the temporary file is removed and nothing appears under `path`.
// Throws file_error when the directory cannot be written.
void write_run_file(const std::string& path, const run_data& data);

// A human-readable summary of a run file (the `chaoschip info` command), or of a sweep's
// summary.h5 (its points, grid and failures; the linked point files are not opened).
// Throws file_error naming the file when it is missing or not a readable HDF5 file.
std::string summarize_run_file(const std::string& path);

// The Kaplan-Yorke dimension of k exponents for people: the number, or why there is none
// (NaN: all k partial sums are >= 0, so only "at least k" is known).
std::string format_kaplan_yorke(double dimension, std::int64_t k);

// Reads back the pieces other commands need. Every failure is a file_error naming the
// file and the dataset or attribute (exit code 2).
std::string read_config_attribute(const std::string& path);
// A scalar root attribute as text (numbers formatted); nullopt when absent.
std::optional<std::string> read_root_attribute(const std::string& path, const std::string& name);
// /network/<group>, checked against `c`: shapes from network.n_in/n_rec/n_out; float64
// finite weights, or (w_in, w_rec on profiles with weight_bits > 0) int32 codes within the
// profile's code range with a positive `scale` (one, or one per row), returned as codes
// times scale with `dequantized` set. nullopt when the group is absent.
std::optional<weight_set> read_weights(const std::string& path, const std::string& group,
                                       const run_config& c);
// /states/<population>, checked against `c`: every dataset [T, n] (n from the config, the
// same T), float64 (int64 for a chip kernel's recurrent states), finite; attributes
// trajectory ("lyapunov", "run", "training"), t0 (an integer >= 0; old files' strings are
// parsed) and weights ("initial", "final"). nullopt when absent.
std::optional<state_log> read_state_log(const std::string& path, const std::string& population,
                                        const run_config& c);

}  // namespace chaoschip::io
