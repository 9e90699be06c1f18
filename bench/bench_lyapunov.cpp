// Lyapunov spectrum speed: the discrete rate network h <- (1 - dt) h + dt W tanh(h)
// (W_ij = g N(0,1)/sqrt(N), zero diagonal, g = 2, dt = 0.1), k tangent vectors, QR every
// step, one thread: the same network and algorithm as lyapunov_numpy.py (Engelken's demo).
// Reports ms per step (Google Benchmark's time per iteration = one step).
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>

#include "chaoschip/core/lyapunov.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/models/init.hpp"
#include "chaoschip/models/rate.hpp"

namespace {

using namespace chaoschip;

void bm_spectrum(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const auto k = static_cast<std::size_t>(state.range(1) == 0 ? n : state.range(1));
  random_stream rng(1, "bench.weights");
  Eigen::MatrixXd w = models::gaussian_weights(n, n, 2.0, rng);
  w.diagonal().setZero();
  model_population<models::rate> pop(models::rate({.alpha = 0.1}, 1.0),
                                     static_cast<std::size_t>(n));
  Eigen::VectorXd h0(n);
  for (auto& x : h0) x = rng.normal();
  pop.set_variable("h", h0);
  dense_projection proj(w);
  population_tangent_system sys(pop, &proj);
  const std::int64_t steps = k == static_cast<std::size_t>(n) ? 6 : 51;
  lyapunov_options o;
  o.k = k;
  o.steps = steps;
  o.warmup = 0;
  o.ons_interval = 1;
  // Timed: steps 2..steps, from the progress call after the first step to the end, so the
  // random start and its QR are not counted (NumPy's loop does not time them either).
  using clock = std::chrono::steady_clock;
  clock::time_point after_first;
  o.progress = [&](std::int64_t done, std::int64_t) {
    if (done == 1) after_first = clock::now();
  };
  for (auto _ : state) {
    const auto r = lyapunov_spectrum(sys, o);
    const auto end = clock::now();
    benchmark::DoNotOptimize(r.exponents.data());
    state.SetIterationTime(std::chrono::duration<double>(end - after_first).count());
  }
  state.SetItemsProcessed(state.iterations() * (steps - 1));
}

BENCHMARK(bm_spectrum)
    ->ArgNames({"N", "k"})
    ->Args({500, 0})
    ->Args({500, 10})
    ->Args({1000, 0})
    ->Args({1000, 10})
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();


}  // namespace

BENCHMARK_MAIN();
