// Fixed-point simulation speed: the same 1,000-neuron LIF network (100 inputs, dense
// random weights, Poisson-like input) on the float64 profile and on the loihi, xylo and
// spinnaker (generic fixed-point) kernels. Reports steps per second; the target is a
// fixed-point run within 2x the time of the float64 run.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "chaoschip/core/simulator.hpp"
#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/models/sources.hpp"

namespace {

using namespace chaoschip;

void bm_chip(benchmark::State& state, const std::string& profile) {
  const io::run_config cfg = io::parse_config(
      "", "<bench>",
      {"network.n_in=100", "network.n_rec=1000", "network.gain=1.0", "chip.profile=" + profile,
       "train.rule=\"none\"", "task.steps=1000", "record.spikes=false"});
  const auto weights = experiment::make_initial_weights(cfg);
  auto task = experiment::make_task(cfg);
  auto b = experiment::build_network(cfg, weights);
  auto& input = dynamic_cast<models::spike_pattern_source&>(b.net.at(b.input));
  input.set_pattern(task->get(0).input_spikes, 0);
  const time_grid grid{cfg.network.dt, 1000};
  std::size_t spikes = 0;
  struct counter final : recorder {
    population_id id;
    std::size_t* n;
    void record(std::int64_t, const network& net) override { *n += net.at(id).spikes().size(); }
  } count;
  count.id = b.recurrent;
  count.n = &spikes;
  std::vector<recorder*> recs{&count};
  std::int64_t t0 = 0;
  for (auto _ : state) {
    run_options opts;
    opts.first_step = t0;
    opts.check_finite = false;
    simulator(b.net).run(grid, recs, opts);
    t0 += grid.steps;
  }
  state.SetItemsProcessed(state.iterations() * grid.steps);
  state.counters["rate_Hz"] = benchmark::Counter(
      static_cast<double>(spikes) / (static_cast<double>(t0) * cfg.network.dt * 1e-3 * 1000.0));
}

BENCHMARK_CAPTURE(bm_chip, float64, std::string("float64"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_chip, loihi, std::string("loihi"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_chip, xylo, std::string("xylo"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_chip, spinnaker, std::string("spinnaker"))->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
