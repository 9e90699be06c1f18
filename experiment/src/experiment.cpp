#include "chaoschip/experiment/experiment.hpp"

#include <limits>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "chaoschip/experiment/graph_runner.hpp"
#include "chaoschip/experiment/lyapunov.hpp"
#include "chaoschip/experiment/trainable_graph.hpp"

namespace chaoschip::experiment {

using namespace chaoschip::io;

run_data run_experiment(const run_config& c, const progress_fn& progress, thread_pool* pool,
                        const training_control& control) {
  const plan p = lower(c);
  if (p.graph) return run_graph(p, progress, pool);
  built_network b = build(p);
  run_data out = train(p, b, progress, control);
  for (const auto& when : p.learning.lyapunov_when) {
    const weight_set& w = when == "before" ? *out.initial : *out.final;
    out.lyapunov.emplace_back(
        when, p.imported && !p.imported->chaoschip_model
                  ? measure_graph_lyapunov(p.config, graph_with_weights(p, w), *p.task, pool)
                  : measure_lyapunov(p.config, p.chip, w, pool));
  }
  return out;
}

std::string_view default_experiment_toml() {
  // NEST's e-prop sine-wave network, untrained, with states and spikes recorded;
  // `chaoschip run` without CONFIG adds a small gain study (default_study).
  return R"(# chaoschip's embedded default experiment (chaoschip run without CONFIG): NEST's
# e-prop sine-wave network (100 inputs, 100 LIF, leaky readout) simulated for a few
# sequences with states and spikes recorded; `chaoschip run` without CONFIG and --set then
# adds a small gain study with e-prop (/study in the run file).
seed = 1

[network]
model = "lif"
n_in = 100
n_rec = 100
n_out = 1
gain = 1.0

[task]
name = "sine"

[train]
rule = "none"
iterations = 10

[record]
states = true
spikes = true
)";
}

study_table default_study(const std::vector<std::string>& overrides, thread_pool* pool,
                          const std::function<void(std::size_t, std::size_t)>& progress) {
  const std::vector<double> gains = {0.5, 2.0, 8.0};
  const std::vector<std::string> profiles = {"float64", "loihi"};
  struct point {
    double gain;
    std::string profile;
  };
  std::vector<point> points;
  for (const auto& p : profiles)
    for (double g : gains) points.push_back({g, p});
  std::vector<run_data> results(points.size());
  std::size_t done = 0;
  std::mutex report;
  auto one = [&](std::size_t i) {
    // e-prop with Adam (NEST's SGD at 1e-4 barely moves in 30 iterations), NEST's
    // firing-rate regularisation, short spectra.
    std::vector<std::string> sets = {"train.rule=\"eprop\"", "train.optimizer=\"adam\"",
                                     "train.eta=5e-3",       "train.c_reg=300.0",
                                     "train.iterations=30",  "lyapunov.steps=500",
                                     "lyapunov.warmup=100"};
    sets.insert(sets.end(), overrides.begin(), overrides.end());
    sets.push_back(fmt::format("network.gain={}", points[i].gain));
    sets.push_back("chip.profile=\"" + points[i].profile + "\"");
    sets.push_back("record.states=false");
    sets.push_back("record.spikes=false");
    results[i] =
        run_experiment(parse_config(default_experiment_toml(), "<embedded default>", sets));
    const std::lock_guard lock(report);
    if (progress) progress(++done, points.size());
  };
  if (pool)
    pool->parallel_for(points.size(), one);
  else
    for (std::size_t i = 0; i < points.size(); ++i) one(i);

  std::vector<double> gain, loss, before, after;
  std::vector<std::string> profile;
  auto first = [](const run_data& r, const char* group) {
    for (const auto& [name, l] : r.lyapunov)
      if (name == group) return l.exponents[0];
    return std::numeric_limits<double>::quiet_NaN();
  };
  for (std::size_t i = 0; i < points.size(); ++i) {
    gain.push_back(points[i].gain);
    profile.push_back(points[i].profile);
    loss.push_back(results[i].train_loss.empty() ? std::numeric_limits<double>::quiet_NaN()
                                                 : results[i].train_loss.back());
    before.push_back(first(results[i], "before"));
    after.push_back(first(results[i], "after"));
  }
  study_table t;
  t.numbers = {{"network.gain", gain},
               {"final_loss", loss},
               {"lambda_max_before", before},
               {"lambda_max_after", after}};
  t.strings = {{"chip.profile", profile}};
  return t;
}

}  // namespace chaoschip::experiment
