// Sparse LIF benchmark: the Brunel (2000) network, run side by side with Brian2
// (bench/brunel_brian2.py builds the same network).
//
// 10,000 LIF neurons (8,000 excitatory, 2,000 inhibitory), Bernoulli connectivity p = 0.1
// without autapses (mean fan-out 1,000), delta synapses J = 0.1 mV (excitatory) and -g J
// (inhibitory) with a 1.5 ms delay, tau_m 20 ms, threshold 20 mV, reset 10 mV, 2 ms
// refractory (held at reset, input discarded, as NEST's iaf_psc_delta), dt 0.1 ms, and an
// external Poisson drive of eta * nu_thr * C_E per neuron with weight J. Two settings with
// the same g and different eta give ~5 Hz and ~16 Hz.
//
// Benchmarks (per setting), each one iteration = `steps` steps (1 s of biological time)
// after an untimed warm-up, items = synaptic events = sum over the spikes of the spiking
// neuron's recurrent fan-out (the drive's one-to-one events are not counted, as in Brian2
// where PoissonInput makes no synaptic events):
//   whole_loop    the full network: Poisson drive, its one-to-one projection, LIF update,
//                 recurrent CSR delivery into the delay buffers, and a spike counter;
//   propagation   spike propagation alone: the raster recorded in the whole loop replayed
//                 by a spike_pattern_source through the same CSR projection (delay 15)
//                 into a population with no dynamics (the network's delay buffer is read
//                 and cleared every step, as for a real target);
//   deliver       the bare kernel: csr_projection::deliver_spikes of the raster into a
//                 delay_buffer, nothing else (no network, no virtual population calls).
// Counters: rate_Hz, spikes, events, bio_s, fanout (mean recurrent fan-out).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chaoschip/core/delay_buffer.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/network.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/models/lif.hpp"
#include "chaoschip/models/sources.hpp"

namespace {

namespace cc = chaoschip;
namespace cm = chaoschip::models;

// Keep in sync with bench/brunel_brian2.py.
struct brunel_params {
  std::uint32_t n_e = 8000, n_i = 2000;
  double p = 0.1;  // Bernoulli connection probability, no autapses
  double j = 0.1;  // mV
  double g = 6.0, eta = 1.0;
  double dt = 0.1;                                                // ms
  std::uint32_t delay_steps = 15;                                 // 1.5 ms
  double tau_m = 20.0, v_th = 20.0, v_reset = 10.0, t_ref = 2.0;  // ms, mV
  std::int64_t warmup = 1000;                                     // steps, untimed
  std::int64_t steps = 10000;                                     // steps, timed (1 s)
  std::uint64_t seed = 1;

  std::uint32_t n() const { return n_e + n_i; }
  double c_e() const { return p * n_e; }
  double nu_thr_hz() const { return v_th / (j * c_e() * tau_m) * 1e3; }
  double nu_ext_hz() const { return eta * nu_thr_hz() * c_e(); }  // per neuron
  double bio_seconds() const { return static_cast<double>(steps) * dt * 1e-3; }
};

struct setting {
  const char* name;
  double g, eta;
};
constexpr setting settings[] = {{"low_rate", 6.0, 1.0}, {"high_rate", 6.0, 1.5}};

using synapse = cc::csr_projection::synapse;
using raster = std::vector<std::vector<std::uint32_t>>;

// Bernoulli(p) for every ordered pair pre != post, drawn by geometric skipping.
std::vector<synapse> bernoulli_synapses(const brunel_params& bp) {
  const std::uint32_t n = bp.n();
  cc::random_stream rng(bp.seed, "connectivity");
  std::vector<synapse> syn;
  syn.reserve(static_cast<std::size_t>(1.01 * bp.p * n * n));
  const double log_q = std::log1p(-bp.p);
  for (std::uint32_t pre = 0; pre < n; ++pre) {
    const double w = pre < bp.n_e ? bp.j : -bp.g * bp.j;
    std::int64_t post = -1;
    while (true) {
      post += 1 + static_cast<std::int64_t>(std::floor(std::log1p(-rng.uniform()) / log_q));
      if (post >= n) break;
      if (post != pre) syn.push_back({pre, static_cast<std::uint32_t>(post), w});
    }
  }
  return syn;
}

// Counts the spikes of one population and their synaptic events; optionally keeps them.
class spike_counter final : public cc::recorder {
 public:
  spike_counter(cc::population_id id, const std::vector<std::uint32_t>& fanout,
                raster* keep = nullptr)
      : id_(id), fanout_(&fanout), keep_(keep) {}
  void record(std::int64_t, const cc::network& net) override {
    const auto s = net.at(id_).spikes();
    spikes += s.size();
    for (auto i : s) events += (*fanout_)[i];
    if (keep_) keep_->emplace_back(s.begin(), s.end());
  }
  std::uint64_t spikes = 0, events = 0;

 private:
  cc::population_id id_;
  const std::vector<std::uint32_t>* fanout_;
  raster* keep_;
};

// A target without dynamics: it only owns the input buffer the network gives it.
class sink_population final : public cc::population {
 public:
  explicit sink_population(std::size_t n) : n_(n) {}
  std::string_view model() const noexcept override { return "sink"; }
  std::size_t size() const noexcept override { return n_; }
  cc::output_kind output() const noexcept override { return cc::output_kind::spikes; }
  void reset() override {}
  void step(std::int64_t, const Eigen::Ref<const Eigen::VectorXd>& input) override {
    benchmark::DoNotOptimize(input.data());
  }

 private:
  std::size_t n_;
};

struct brunel_network {
  brunel_params bp;
  cc::network net;
  cc::population_id drive = 0, lif = 0;
  std::vector<synapse> synapses;
  std::vector<std::uint32_t> fanout;
  raster spikes;  // the timed window of one whole-loop run
  double mean_fanout() const { return static_cast<double>(synapses.size()) / bp.n(); }

  explicit brunel_network(const brunel_params& p) : bp(p) {
    const auto n = bp.n();
    synapses = bernoulli_synapses(bp);
    fanout.assign(n, 0);
    for (const auto& s : synapses) ++fanout[s.pre];

    cm::lif_parameters lp;
    lp.tau_m = bp.tau_m;
    lp.tau_syn = 0.0;  // delta synapses
    lp.v_th = bp.v_th;
    lp.v_reset = bp.v_reset;
    lp.t_ref = bp.t_ref;
    lp.reset = cm::reset_mode::value;
    lp.regular_spike_arrival = true;  // a spike adds its weight to v
    drive = net.add("drive", std::make_unique<cm::poisson_source>(
                                 n, bp.nu_ext_hz(), bp.dt, cc::random_stream(bp.seed, "drive")));
    lif = net.add("lif",
                  std::make_unique<chaoschip::model_population<cm::lif>>(cm::lif(lp, bp.dt), n));
    std::vector<synapse> one_to_one(n);
    for (std::uint32_t i = 0; i < n; ++i) one_to_one[i] = {i, i, bp.j};
    net.connect(drive, lif, std::make_unique<cc::csr_projection>(n, n, std::move(one_to_one)), 1);
    net.connect(lif, lif, std::make_unique<cc::csr_projection>(n, n, synapses), bp.delay_steps);
  }

  // Initial state (v uniform in [0, v_th)) and the untimed warm-up.
  void start() {
    net.reset();
    cc::random_stream rng(bp.seed, "v0");
    Eigen::VectorXd v0(bp.n());
    for (auto& x : v0) x = rng.uniform(0.0, bp.v_th);
    net.at(lif).set_variable("v", v0);
    cc::simulator(net).run({bp.dt, bp.warmup}, {});
  }
  // The timed window: `steps` steps after the warm-up.
  void run(spike_counter& counter) {
    cc::recorder* recorders[] = {&counter};
    cc::run_options options;
    options.first_step = bp.warmup;
    cc::simulator(net).run({bp.dt, bp.steps}, recorders, options);
  }
};

// One network per setting, built (and its raster recorded) on first use.
brunel_network& model(const setting& s) {
  static std::map<std::string, std::unique_ptr<brunel_network>> cache;
  auto& m = cache[s.name];
  if (!m) {
    brunel_params bp;
    bp.g = s.g;
    bp.eta = s.eta;
    m = std::make_unique<brunel_network>(bp);
    m->start();
    spike_counter rec(m->lif, m->fanout, &m->spikes);
    m->run(rec);
  }
  return *m;
}

void report(benchmark::State& state, const brunel_network& m, std::uint64_t spikes,
            std::uint64_t events) {
  const double iters = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["rate_Hz"] = static_cast<double>(spikes) / iters / (m.bp.n() * m.bp.bio_seconds());
  state.counters["spikes"] = static_cast<double>(spikes) / iters;
  state.counters["events"] = static_cast<double>(events) / iters;
  state.counters["bio_s"] = m.bp.bio_seconds();
  state.counters["fanout"] = m.mean_fanout();
}

void whole_loop(benchmark::State& state, const setting& s) {
  auto& m = model(s);
  std::uint64_t spikes = 0, events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    m.start();
    spike_counter counter(m.lif, m.fanout);
    state.ResumeTiming();
    m.run(counter);
    spikes += counter.spikes;
    events += counter.events;
  }
  report(state, m, spikes, events);
}

std::uint64_t count_events(const brunel_network& m, std::uint64_t& spikes) {
  std::uint64_t events = 0;
  spikes = 0;
  for (const auto& step : m.spikes) {
    spikes += step.size();
    for (auto i : step) events += m.fanout[i];
  }
  return events;
}

void propagation(benchmark::State& state, const setting& s) {
  auto& m = model(s);
  const auto n = m.bp.n();
  cc::network net;
  const auto src = net.add("replay", std::make_unique<cm::spike_pattern_source>(n, m.spikes));
  const auto dst = net.add("sink", std::make_unique<sink_population>(n));
  net.connect(src, dst, std::make_unique<cc::csr_projection>(n, n, m.synapses), m.bp.delay_steps);
  std::uint64_t spikes = 0;
  const std::uint64_t events = count_events(m, spikes);
  for (auto _ : state) {
    state.PauseTiming();
    net.reset();
    state.ResumeTiming();
    cc::simulator(net).run({m.bp.dt, m.bp.steps}, {});
  }
  const auto iters = static_cast<std::uint64_t>(state.iterations());
  report(state, m, spikes * iters, events * iters);
}

void deliver(benchmark::State& state, const setting& s) {
  auto& m = model(s);
  const auto n = m.bp.n();
  const cc::csr_projection proj(n, n, m.synapses);
  cc::delay_buffer buffer(n, m.bp.delay_steps);
  std::uint64_t spikes = 0;
  const std::uint64_t events = count_events(m, spikes);
  for (auto _ : state) {
    buffer.clear_all();
    for (std::int64_t t = 0; t < m.bp.steps; ++t) {
      const auto& pre = m.spikes[static_cast<std::size_t>(t)];
      if (!pre.empty()) proj.deliver_spikes(pre, buffer.slot(t + m.bp.delay_steps));
      benchmark::DoNotOptimize(buffer.slot(t));
      buffer.clear(t);
    }
    benchmark::ClobberMemory();
  }
  const auto iters = static_cast<std::uint64_t>(state.iterations());
  report(state, m, spikes * iters, events * iters);
}

void register_all() {
  for (const auto& s : settings) {
    const std::string suffix = std::string("/") + s.name;
    benchmark::RegisterBenchmark(("brunel/whole_loop" + suffix).c_str(), whole_loop, s)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1)
        ->Repetitions(5);
    benchmark::RegisterBenchmark(("brunel/propagation" + suffix).c_str(), propagation, s)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(3)
        ->Repetitions(3);
    benchmark::RegisterBenchmark(("brunel/deliver" + suffix).c_str(), deliver, s)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(3)
        ->Repetitions(3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("network",
                              "Brunel 10000 LIF (80% exc), Bernoulli p=0.1 no autapses, "
                              "J=0.1 mV, delay 1.5 ms, dt 0.1 ms");
  for (const auto& s : settings)
    benchmark::AddCustomContext(s.name,
                                "g=" + std::to_string(s.g) + " eta=" + std::to_string(s.eta));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
