// The machine's bounds, measured in the same run as every benchmark that reports a share
// of them (linked into each bench executable):
//   bm_peak_fma  the core's double-precision FMA peak, GFLOP/s: 12 independent chains of
//                vector FMAs (enough to cover the FMA latency on two pipes);
//   bm_triad     single-core memory bandwidth, GB/s: STREAM's triad a = b + s c over
//                arrays far larger than the last-level cache (3 x 8 bytes per element,
//                counted as STREAM counts them: no write-allocate traffic);
//   bm_triad_l2  the same over arrays that fit the L2 cache (the bound of a matrix that
//                stays there between steps, e.g. W at N = 300).
// The report scripts divide a workload's unavoidable flops or bytes per second by these.
#include <benchmark/benchmark.h>

#include <immintrin.h>

#include <cstdint>
#include <vector>

namespace {

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
BENCHMARK(bm_peak_fma)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(5)
    ->ReportAggregatesOnly(true);

// a[i] = b[i] + s c[i]; the loop is plain so the compiler vectorises it (what a user's
// streaming kernel gets), with non-aliasing arguments.
__attribute__((noinline)) void triad(double* __restrict a, const double* __restrict b,
                                     const double* __restrict c, double s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

void triad_bench(benchmark::State& state, std::size_t n) {
  std::vector<double> a(n, 0.0), b(n, 1.0), c(n, 2.0);
  for (auto _ : state) {
    triad(a.data(), b.data(), c.data(), 3.0, n);
    benchmark::DoNotOptimize(a.data());
    benchmark::ClobberMemory();
  }
  const double bytes = 3.0 * 8.0 * static_cast<double>(n);
  state.counters["GBs"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// 3 x 160 MB: far beyond any last-level cache.
void bm_triad(benchmark::State& state) { triad_bench(state, std::size_t{20} << 20); }
// 3 x 256 KB = 768 KB: inside a 1 MB L2.
void bm_triad_l2(benchmark::State& state) { triad_bench(state, std::size_t{32} << 10); }

BENCHMARK(bm_triad)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(bm_triad_l2)->Unit(benchmark::kMicrosecond)->UseRealTime()->Repetitions(5)
    ->ReportAggregatesOnly(true);

}  // namespace
