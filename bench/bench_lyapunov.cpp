// Lyapunov spectrum speed: the discrete rate network h <- (1 - dt) h + dt W tanh(h)
// (W_ij = g N(0,1)/sqrt(N), zero diagonal, g = 2, dt = 0.1), k tangent vectors, QR every
// step, one thread: the same network and algorithm as lyapunov_numpy.py (Engelken's demo).
// Reports ms per step (Google Benchmark's time per iteration = one step).
#include <benchmark/benchmark.h>

#include <immintrin.h>

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

// The core's double-precision peak, measured: 12 independent chains of vector FMAs (enough
// to cover the FMA latency on two pipes). bench/results/lyapunov.md divides the NumPy and
// chaoschip flop counts by this to bound the ratio any implementation of the algorithm can
// reach on this machine.
void bm_peak_fma(benchmark::State& state) {
#if defined(__AVX512F__)
  using vec = __m512d;
  constexpr int lanes = 8;
  auto set = [](double x) { return _mm512_set1_pd(x); };
  auto fma = [](vec a, vec b, vec c) { return _mm512_fmadd_pd(a, b, c); };
#elif defined(__FMA__)
  using vec = __m256d;
  constexpr int lanes = 4;
  auto set = [](double x) { return _mm256_set1_pd(x); };
  auto fma = [](vec a, vec b, vec c) { return _mm256_fmadd_pd(a, b, c); };
#else
  state.SkipWithError("no FMA instructions in this build (CHAOSCHIP_NATIVE=OFF?)");
  return;
#endif
#if defined(__AVX512F__) || defined(__FMA__)
  constexpr int chains = 12;
  constexpr std::int64_t rounds = 1 << 16;
  vec acc[chains];
  for (int c = 0; c < chains; ++c) acc[c] = set(1.0 + 1e-3 * c);
  const vec a = set(0.999999), b = set(1e-7);
  for (auto _ : state) {
    for (std::int64_t r = 0; r < rounds; ++r)
      for (auto& x : acc) x = fma(x, a, b);
    benchmark::DoNotOptimize(acc);
  }
  const double flops = 2.0 * lanes * chains * static_cast<double>(rounds);
  state.counters["GFLOPs"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
#endif
}
BENCHMARK(bm_peak_fma)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
