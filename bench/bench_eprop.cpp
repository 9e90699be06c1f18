// Training speed: one e-prop (or BPTT) iteration of the 100-in / 100-rec / 1-out sine-wave
// network, 1,000 steps, one thread, through the public API (io::parse_config +
// experiment::run_experiment, as `chaoschip run` does, without writing a run file).
//
//   eprop/sine_nest       examples/sine_nest.toml: NEST's e-prop sine-wave example
//                         (nest_bsshslm_2020 variant, the regression case file's weights
//                         and input), record.spikes = false
//   eprop/sine_generated  task "sine", gaussian weights, e-prop (default variant), SGD,
//                         c_reg 300 as in NEST's example
//   bptt/sine_generated   the same with train.rule = bptt
//   bptt/sine_nest        NEST's example with train.rule = bptt (the run eprop_torch.py's
//                         BPTT reproduces loss for loss)
//
// With eta = 1e-4 (NEST's e-prop rate) BPTT's updates diverge on this network in chaoschip
// and in PyTorch alike (the loss grows ~10x per iteration until the weights reach the
// [-100, 100] clip, ~500 Hz); the rate_Hz counter shows the regime that was timed.
//
// Per-iteration time: run_experiment does its setup (config to TOML, weights and task,
// possibly read from the HDF5 case file, the network) once per call. Every benchmark
// iteration times a 1-iteration run and a (1 + kIterations)-iteration run of the same
// config and reports (t_long - t_short) / kIterations as manual time, so the setup (and the
// first sequence's cold caches) cancels; the reported time is per training iteration (a
// forward pass of 1,000 steps, the gradient and the SGD update) and items_per_second is
// training iterations per second. One untimed run of the long config comes first (warm-up).
// Counters: setup_ms (t_short minus one iteration),
// loss_first / loss_last (of the long run: NEST's example starts at 101.96), rate_Hz (mean
// rate of the recurrent layer over the long run, from one more, untimed, run).
#include <malloc.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/io/config.hpp"

#ifndef CHAOSCHIP_SOURCE_DIR
#error "CHAOSCHIP_SOURCE_DIR must name the repository root (set by bench/CMakeLists.txt)"
#endif

namespace {

using namespace chaoschip;

constexpr std::int64_t kIterations = 20;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("bench_eprop: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> with(std::vector<std::string> overrides, std::int64_t iterations,
                              bool spikes = false) {
  overrides.push_back("train.iterations=" + std::to_string(iterations));
  overrides.push_back(spikes ? "record.spikes=true" : "record.spikes=false");
  overrides.push_back("record.states=false");
  return overrides;
}

// Mean firing rate (Hz) of the recurrent layer over a run (the forward pass is
// event-driven, so its cost grows with the rate; PyTorch's dense one does not).
double recurrent_rate_hz(const io::run_data& d, const io::run_config& c) {
  for (const auto& s : d.spikes)
    if (s.population == "recurrent") {
      const auto steps =
          static_cast<double>(std::get<std::int64_t>(d.root_attributes.at("steps")));
      return static_cast<double>(s.node_ids.size()) /
             (static_cast<double>(c.network.n_rec) * steps * c.network.dt * 1e-3);
    }
  return 0.0;
}

void bm_train(benchmark::State& state, const std::string& toml,
              const std::vector<std::string>& overrides) {
  const io::run_config short_cfg = io::parse_config(toml, "<bench>", with(overrides, 1));
  const io::run_config long_cfg =
      io::parse_config(toml, "<bench>", with(overrides, 1 + kIterations));
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::duration d) { return std::chrono::duration<double>(d).count(); };
  double setup = 0.0, loss_first = 0.0, loss_last = 0.0;
  // Untimed warm-up, as eprop_torch.py's warm-up iterations: the first runs in a fresh
  // process are slower (heap pages touched for the first time, caches, clock ramp-up).
  benchmark::DoNotOptimize(experiment::run_experiment(long_cfg));
  for (auto _ : state) {
    const auto t0 = clock::now();
    auto a = experiment::run_experiment(short_cfg);
    const auto t1 = clock::now();
    auto b = experiment::run_experiment(long_cfg);
    const auto t2 = clock::now();
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
    const double per_iteration =
        (seconds(t2 - t1) - seconds(t1 - t0)) / static_cast<double>(kIterations);
    state.SetIterationTime(per_iteration);
    setup += seconds(t1 - t0) - per_iteration;
    loss_first = b.train_loss.front();
    loss_last = b.train_loss.back();
  }
  // Untimed: the same long run with the spikes recorded, for the rate.
  const io::run_config rate_cfg =
      io::parse_config(toml, "<bench>", with(overrides, 1 + kIterations, true));
  state.counters["rate_Hz"] = recurrent_rate_hz(experiment::run_experiment(rate_cfg), rate_cfg);
  state.SetItemsProcessed(state.iterations());
  state.counters["setup_ms"] =
      benchmark::Counter(1e3 * setup / static_cast<double>(state.iterations()));
  state.counters["loss_first"] = loss_first;
  state.counters["loss_last"] = loss_last;
  state.counters["steps"] = static_cast<double>(short_cfg.task.steps);
}

const std::string& source_dir() {
  static const std::string dir = CHAOSCHIP_SOURCE_DIR;
  return dir;
}

std::string nest_toml() {
  return read_text(source_dir() + "/examples/sine_nest.toml");
}

// The example names the case file relative to the repository root: given absolute here.
std::vector<std::string> nest_overrides(const std::string& rule) {
  const std::string case_file = "\"" + source_dir() + "/tests/data/nest_eprop_regression_case.h5\"";
  return {"network.file=" + case_file, "task.file=" + case_file, "train.rule=\"" + rule + "\""};
}

// The generated sine task with generated (gaussian) weights; the rest as NEST's example.
std::vector<std::string> generated_overrides(const std::string& rule) {
  return {"network.n_in=100",          "network.n_rec=100",       "network.n_out=1",
          "network.init=\"gaussian\"", "task.name=\"sine\"",      "task.steps=1000",
          "train.variant=\"default\"", "train.optimizer=\"sgd\"", "train.eta=1e-4",
          "train.c_reg=300.0",         "train.f_target=10.0",     "train.rule=\"" + rule + "\""};
}

void bm_eprop_sine_nest(benchmark::State& state) {
  bm_train(state, nest_toml(), nest_overrides("eprop"));
}
void bm_eprop_sine_generated(benchmark::State& state) {
  bm_train(state, "", generated_overrides("eprop"));
}
void bm_bptt_sine_generated(benchmark::State& state) {
  bm_train(state, "", generated_overrides("bptt"));
}
// BPTT on NEST's example (its variant only drops step 0's input, which is empty): the run
// PyTorch's BPTT in eprop_torch.py reproduces loss for loss.
void bm_bptt_sine_nest(benchmark::State& state) {
  bm_train(state, nest_toml(), nest_overrides("bptt"));
}

// Each benchmark iteration is 2 + kIterations training iterations of wall time.
constexpr int kBenchIterations = 5;
BENCHMARK(bm_eprop_sine_nest)
    ->Name("eprop/sine_nest")
    ->UseManualTime()
    ->Iterations(kBenchIterations)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_eprop_sine_generated)
    ->Name("eprop/sine_generated")
    ->UseManualTime()
    ->Iterations(kBenchIterations)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_bptt_sine_generated)
    ->Name("bptt/sine_generated")
    ->UseManualTime()
    ->Iterations(kBenchIterations)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_bptt_sine_nest)
    ->Name("bptt/sine_nest")
    ->UseManualTime()
    ->Iterations(kBenchIterations)
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // As the chaoschip executable does: keep freed training buffers in the heap.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
