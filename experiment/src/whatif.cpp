#include "chaoschip/experiment/whatif.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/spike_metrics.hpp"
#include "chaoschip/experiment/graph.hpp"
#include "chaoschip/experiment/model_binding.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/io/chip.hpp"

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace {

struct measured {
  std::vector<std::int64_t> steps;
  std::vector<std::uint64_t> ids;
  double rate_hz = 0.0, loss = 0.0;
};

// The spikes a what-if compares: the recurrent layer of a config's network, or a graph's
// recurrent population (nir.recurrent, or the one population with a projection onto itself).
struct compared {
  std::string population = "recurrent";
  std::size_t n = 0;
};

compared compared_of(const run_config& c) {
  if (c.network.source != "nir") return {"recurrent", static_cast<std::size_t>(c.network.n_rec)};
  const plan p = lower(c);
  if (!p.graph->recurrent)
    throw parameter_error("nir.recurrent", "\"\"",
                          "the name of the neuron node whose spikes whatif compares (the graph "
                          "has no single population with a projection onto itself)");
  const auto& pop = p.graph->populations[*p.graph->recurrent];
  return {pop.name, pop.n};
}

// A graph on a setting's profile is built once before anything runs, so what its kernel
// cannot run (a node type, a reset) is an error before the first run.
void check_graph_setting(const run_config& c) {
  if (c.network.source != "nir") return;
  const plan p = lower(c);
  build_graph(*p.graph, *p.chip.backend, p.chip.seed);
}

measured measure(const run_config& c, const compared& what, const progress_fn& progress) {
  run_config cfg = c;
  cfg.record.spikes = true;
  cfg.record.states = false;
  cfg.lyapunov.when.clear();  // spectra are no part of a what-if's rows
  const run_data d = run_experiment(cfg, progress);
  measured m;
  for (const auto& s : d.spikes) {
    if (s.population != what.population) continue;
    m.ids = s.node_ids;
    for (double ts : s.timestamps) m.steps.push_back(std::llround(ts / c.network.dt));
  }
  const double seconds =
      static_cast<double>(std::get<std::int64_t>(d.root_attributes.at("steps"))) * c.network.dt *
      1e-3;
  m.rate_hz = static_cast<double>(m.ids.size()) / static_cast<double>(what.n) / seconds;
  m.loss = d.train_loss.empty() ? std::numeric_limits<double>::quiet_NaN()
                                : std::accumulate(d.train_loss.begin(), d.train_loss.end(), 0.0) /
                                      static_cast<double>(d.train_loss.size());
  return m;
}

// The chip section of one setting: the profile's own quantiser for these bits (the unset
// fields are resolved again). Settings the profile cannot take are errors at --bits.
chip_config setting(const run_config& config, std::int64_t bits, const std::string& rounding) {
  chip_config chip;
  chip.profile = config.chip.profile;
  chip.weight_bits = bits;
  chip.rounding = rounding;
  try {
    if (bits < 0)
      throw parameter_error("chip.weight_bits", std::to_string(bits),
                            "0 (float) or an integer in [2, 32]");
    resolve_chip(chip);
  } catch (const parameter_error& e) {
    throw parameter_error(e.key(), e.value(), e.expected(),
                          e.location().empty() ? "--bits" : e.location());
  }
  return chip;
}

}  // namespace

std::vector<whatif_row> run_whatif(const run_config& user_config, const whatif_options& options,
                                   const progress_fn& progress) {
  const run_config config = whatif_config(user_config);
  // A model the rules can train (the what-if trains each setting when train.rule is set).
  if (const auto& can = capabilities_of(config); !can.eprop && !can.bptt)
    throw parameter_error("network.model", config.network.model, "a network model");
  check_supported(config);
  // Every setting is checked before the first one runs.
  const compared what = compared_of(config);
  for (auto bits : options.bits)
    for (const auto& r : options.roundings) {
      run_config cfg = config;
      cfg.chip = setting(config, bits, r);
      check_graph_setting(cfg);
    }
  // The reference: float64 everywhere.
  run_config ref_cfg = config;
  ref_cfg.chip = chip_config{};
  resolve_chip(ref_cfg.chip);
  const measured ref = measure(ref_cfg, what, progress);
  const std::int64_t steps = std::max<std::int64_t>(config.train.iterations, 1) * config.task.steps;
  const double tau_steps = options.tau_ms / config.network.dt;

  std::vector<whatif_row> rows;
  rows.push_back({"float64", 0, "-", ref.rate_hz, 0.0, 0.0, ref.loss});
  for (auto bits : options.bits) {
    for (const auto& r : options.roundings) {
      run_config cfg = config;
      cfg.chip = setting(config, bits, r);
      const measured m = measure(cfg, what, progress);
      const double d =
          van_rossum_distance({ref.steps, ref.ids}, {m.steps, m.ids}, what.n, steps, tau_steps);
      rows.push_back({config.chip.profile, bits, r, m.rate_hz,
                      ref.rate_hz > 0 ? (m.rate_hz - ref.rate_hz) / ref.rate_hz : 0.0, d, m.loss});
    }
  }
  return rows;
}

std::string format_whatif(const std::vector<whatif_row>& rows) {
  std::string out = fmt::format("{:<12} {:>5} {:<11} {:>9} {:>12} {:>10} {:>10}\n", "profile",
                                "bits", "rounding", "rate_Hz", "rate_change", "distance", "loss");
  for (const auto& r : rows)
    out += fmt::format("{:<12} {:>5} {:<11} {:>9.3f} {:>+11.2f}% {:>10.4f} {:>10.4g}\n", r.profile,
                       r.weight_bits == 0 ? std::string("float") : std::to_string(r.weight_bits),
                       r.rounding, r.rate_hz, 100.0 * r.rate_change, r.distance, r.loss);
  return out;
}

}  // namespace chaoschip::experiment
