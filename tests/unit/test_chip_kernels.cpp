// Bit-exactness of the Loihi and Xylo kernels: random networks driven by random input
// spikes for 10,000 steps, through chaoschip's event engine (projections, delay buffers,
// populations), against straightforward loops written here from the published equations
// (Lava's PyLifModelBitAcc/PyDenseModelBitAcc, xylosim's XyloIAFNeuron/XyloLayer v2; see
// docs/chips.md). Parameters cover wrap and saturation, negative values, zero decays and
// several spikes per step.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <vector>

#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/network.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/models/sources.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"
#include "chaoschip/neuromorphic/quantize.hpp"
#include "chaoschip/neuromorphic/xylo.hpp"

using namespace chaoschip;
using namespace chaoschip::neuromorphic;
using i64 = std::int64_t;
using spike_steps = std::vector<std::vector<std::uint32_t>>;

namespace {

struct trace {
  std::vector<std::vector<i64>> a, b;  // two state variables per step
  std::vector<std::vector<std::uint32_t>> spikes;
};

spike_steps random_input(std::size_t n_in, std::size_t steps, double p, int max_count,
                         random_stream& rng) {
  spike_steps s(steps);
  for (auto& step : s)
    for (std::uint32_t i = 0; i < n_in; ++i)
      if (rng.bernoulli(p)) {
        const auto k = 1 + rng.below(static_cast<std::uint64_t>(max_count));
        for (std::uint64_t j = 0; j < k; ++j) step.push_back(i);
      }
  return s;
}

Eigen::MatrixXd random_ints(Eigen::Index r, Eigen::Index c, i64 lo, i64 hi, random_stream& rng) {
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<double>(
        lo + static_cast<i64>(rng.below(static_cast<std::uint64_t>(hi - lo + 1))));
  return m;
}

// Runs the engine: input source -> recurrent (both connections as given), recording.
template <class Pop>
trace run_engine(std::unique_ptr<Pop> pop, const spike_steps& input, std::size_t n_in,
                 std::unique_ptr<projection> w_in, std::uint32_t d_in,
                 std::unique_ptr<projection> w_rec, const char* var_a, const char* var_b) {
  network net;
  auto src = net.add("input", std::make_unique<models::spike_pattern_source>(n_in, input));
  auto rec = net.add("recurrent", std::move(pop));
  net.connect(src, rec, std::move(w_in), d_in);
  net.connect(rec, rec, std::move(w_rec), 1);
  struct tap final : recorder {
    population_id id;
    const char *a, *b;
    trace t;
    void record(std::int64_t, const network& n) override {
      const auto va = n.at(id).variable(a), vb = n.at(id).variable(b);
      t.a.emplace_back(va.data(), va.data() + va.size());
      t.b.emplace_back(vb.data(), vb.data() + vb.size());
      const auto s = n.at(id).spikes();
      t.spikes.emplace_back(s.begin(), s.end());
    }
  } rec_tap;
  rec_tap.id = rec;
  rec_tap.a = var_a;
  rec_tap.b = var_b;
  std::vector<recorder*> recs{&rec_tap};
  simulator(net).run({1.0, static_cast<std::int64_t>(input.size())}, recs);
  return rec_tap.t;
}

void require_equal(const trace& engine, const trace& reference) {
  REQUIRE(engine.a.size() == reference.a.size());
  for (std::size_t t = 0; t < engine.a.size(); ++t) {
    INFO("step " << t);
    REQUIRE(engine.a[t] == reference.a[t]);
    REQUIRE(engine.b[t] == reference.b[t]);
    REQUIRE(engine.spikes[t] == reference.spikes[t]);
  }
}

// ---- Loihi reference: Lava PyLifModelBitAcc + PyDenseModelBitAcc, written plainly ----
struct loihi_case {
  i64 du, dv, vth, bias_mant, bias_exp;
  int exp_in, exp_rec;
  i64 w_lo, w_hi;
  double p_in;
};

trace loihi_reference(const loihi_case& c, const Eigen::MatrixXd& w_in,
                      const Eigen::MatrixXd& w_rec, const spike_steps& input) {
  const auto n = static_cast<std::size_t>(w_rec.rows());
  const i64 max = i64{1} << 23;
  std::vector<i64> u(n, 0), v(n, 0), buf_in(n, 0), buf_rec(n, 0);
  std::vector<std::uint32_t> spikes;
  auto sign_shift = [](i64 p) { return p < 0 ? -((-p) >> 12) : (p >> 12); };
  auto scale = [](i64 acc, int e) { return e >= 0 ? acc * (i64{1} << e) : acc >> (-e); };
  const i64 bias =
      c.bias_exp >= 0 ? c.bias_mant * (i64{1} << c.bias_exp) : c.bias_mant >> -c.bias_exp;
  trace t;
  for (const auto& x : input) {
    // Dense sends what it accumulated in the previous step.
    std::vector<i64> a(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = buf_in[i] + buf_rec[i];
    spikes.clear();
    for (std::size_t i = 0; i < n; ++i) {
      const i64 cu = sign_shift(u[i] * (4096 - (c.du + 1))) + a[i] * 64;
      i64 w = cu > max ? cu - 2 * max : cu;
      w = w <= -max ? cu + 2 * max : w;
      u[i] = w;
      i64 vv = sign_shift(v[i] * (4096 - c.dv)) + u[i] + bias;
      vv = std::min(std::max(vv, -(max - 1)), max - 1);
      if (vv > c.vth * 64) {
        spikes.push_back(static_cast<std::uint32_t>(i));
        vv = 0;
      }
      v[i] = vv;
    }
    // Dense receives this step's spikes: the sum of integer weights, then weight_exp.
    for (std::size_t i = 0; i < n; ++i) {
      i64 acc_in = 0, acc_rec = 0;
      for (auto j : x) acc_in += static_cast<i64>(w_in(static_cast<Eigen::Index>(i), j));
      for (auto j : spikes) acc_rec += static_cast<i64>(w_rec(static_cast<Eigen::Index>(i), j));
      buf_in[i] = scale(acc_in, c.exp_in);
      buf_rec[i] = scale(acc_rec, c.exp_rec);
    }
    t.a.push_back(u);
    t.b.push_back(v);
    t.spikes.push_back(spikes);
  }
  return t;
}

// ---- Xylo reference: xylosim v2, written plainly ----
struct xylo_case {
  i64 dash_mem, dash_syn, v_th, bias;
  int shift_in, shift_rec, max_spikes;
  i64 w_lo, w_hi;
  double p_in;
  int max_input_count;
};

trace xylo_reference(const xylo_case& c, const Eigen::MatrixXd& w_in, const Eigen::MatrixXd& w_rec,
                     const spike_steps& input) {
  const auto n = static_cast<std::size_t>(w_rec.rows());
  const auto n_in = static_cast<std::size_t>(w_in.cols());
  auto sat = [](i64 x) { return std::min<i64>(std::max<i64>(x, -32768), 32767); };
  auto i16 = [](i64 x) { return static_cast<i64>(static_cast<std::int16_t>(x)); };
  auto decay = [](i64 x, i64 dash) {
    const i64 d = x >> dash;
    return d != 0 ? d : (x > 0 ? 1 : (x < 0 ? -1 : 0));
  };
  std::vector<i64> isyn(n, 0), v(n, 0);
  std::vector<int> prev_counts(n, 0);
  trace t;
  for (const auto& x : input) {
    std::vector<int> in_counts(n_in, 0);
    for (auto j : x) ++in_counts[j];
    // Input events by source index, each added on its own with saturation (cap 15).
    for (std::size_t j = 0; j < n_in; ++j)
      for (std::size_t i = 0; i < n; ++i)
        for (int k = 0; k < std::min(in_counts[j], 15); ++k)
          isyn[i] = sat(isyn[i] + i16(static_cast<i64>(w_in(i, j)) * (i64{1} << c.shift_in)));
    // Recurrent events of the previous step (cap 31).
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n; ++i)
        for (int k = 0; k < std::min(prev_counts[j], 31); ++k)
          isyn[i] = sat(isyn[i] + i16(static_cast<i64>(w_rec(i, j)) * (i64{1} << c.shift_rec)));
    std::vector<std::uint32_t> spikes;
    for (std::size_t i = 0; i < n; ++i) {
      isyn[i] -= decay(isyn[i], c.dash_syn);
      i64 dv = i16(-decay(v[i], c.dash_mem));
      dv = sat(dv + isyn[i]);
      dv = sat(dv + c.bias);
      v[i] = sat(v[i] + dv);
      int count = 0;
      while (v[i] >= c.v_th && count < c.max_spikes) {
        ++count;
        v[i] = i16(v[i] - c.v_th);
        spikes.push_back(static_cast<std::uint32_t>(i));
      }
      prev_counts[i] = count;
    }
    t.a.push_back(isyn);
    t.b.push_back(v);
    t.spikes.push_back(spikes);
  }
  return t;
}

}  // namespace

TEST_CASE("Loihi kernel is bit-exact to Lava's equations over 10,000 steps", "[chip]") {
  const std::size_t n_in = 30, n = 40, steps = 10000;
  const loihi_case cases[] = {
      // typical: slow decays, mixed weights
      {.du = 200,
       .dv = 100,
       .vth = 4000,
       .bias_mant = 0,
       .bias_exp = 0,
       .exp_in = 0,
       .exp_rec = 0,
       .w_lo = -255,
       .w_hi = 255,
       .p_in = 0.1},
      // zero decays (du = 0 still decays by ds_offset; dv = 0 none) and negative bias
      {.du = 0,
       .dv = 0,
       .vth = 20000,
       .bias_mant = -37,
       .bias_exp = 3,
       .exp_in = -2,
       .exp_rec = 1,
       .w_lo = -300,
       .w_hi = 300,
       .p_in = 0.2},
      // full decays (u replaced each step), large weights: u wraps, v saturates
      {.du = 4095,
       .dv = 4095,
       .vth = 131071,
       .bias_mant = 100,
       .bias_exp = 6,
       .exp_in = 7,
       .exp_rec = 6,
       .w_lo = -256,
       .w_hi = 255,
       .p_in = 0.5},
      // long memory and huge drive: wrap of u, saturation of v, negative exponents
      {.du = 1,
       .dv = 1,
       .vth = 50,
       .bias_mant = -4096,
       .bias_exp = -2,
       .exp_in = 5,
       .exp_rec = -3,
       .w_lo = -256,
       .w_hi = 255,
       .p_in = 0.4},
  };
  int case_index = 0;
  for (const auto& c : cases) {
    INFO("case " << case_index++);
    random_stream rng(100 + static_cast<std::uint64_t>(case_index), "loihi");
    const Eigen::MatrixXd raw_in = random_ints(n, n_in, c.w_lo, c.w_hi, rng);
    Eigen::MatrixXd raw_rec = random_ints(n, n, c.w_lo, c.w_hi, rng);
    // The chip's Dense prepares weights once: clip to 8 bits, truncate to num_weight_bits.
    auto prepare = [](const Eigen::MatrixXd& w, int bits) {
      const auto mode = determine_sign_mode(w);
      return lava_truncate_weights(lava_clip_weights(w, mode), mode, bits);
    };
    const Eigen::MatrixXd w_in = prepare(raw_in, 8), w_rec = prepare(raw_rec, 7);
    const auto input = random_input(n_in, steps, c.p_in, 1, rng);
    const loihi_lif_parameters p{c.du, c.dv, c.vth, c.bias_mant, c.bias_exp, 24};
    const auto engine = run_engine(std::make_unique<model_population<loihi_lif>>(loihi_lif(p), n),
                                   input, n_in, std::make_unique<loihi_dense>(w_in, c.exp_in), 1,
                                   std::make_unique<loihi_dense>(w_rec, c.exp_rec), "u", "v");
    const auto ref = loihi_reference(c, w_in, w_rec, input);
    require_equal(engine, ref);
    // The case exercises what it claims.
    std::size_t n_spikes = 0;
    i64 max_u = 0, max_v = 0, min_v = 0;
    for (std::size_t t = 0; t < steps; ++t) {
      n_spikes += ref.spikes[t].size();
      for (auto x : ref.a[t]) max_u = std::max(max_u, std::abs(x));
      for (auto x : ref.b[t]) {
        max_v = std::max(max_v, x);
        min_v = std::min(min_v, x);
      }
    }
    CHECK(n_spikes > 0);
    CHECK(min_v < 0);
    if (case_index >= 3) CHECK((max_u > (i64{1} << 22) || max_v == (i64{1} << 23) - 1));
  }
}

TEST_CASE("Xylo kernel is bit-exact to xylosim's equations over 10,000 steps", "[chip]") {
  const std::size_t n_in = 16, n = 30, steps = 10000;
  const xylo_case cases[] = {
      {.dash_mem = 4,
       .dash_syn = 2,
       .v_th = 300,
       .bias = 0,
       .shift_in = 0,
       .shift_rec = 0,
       .max_spikes = 31,
       .w_lo = -128,
       .w_hi = 127,
       .p_in = 0.2,
       .max_input_count = 1},
      // zero membrane decay, negative bias, several spikes per step (small threshold)
      {.dash_mem = 0,
       .dash_syn = 1,
       .v_th = 40,
       .bias = -3,
       .shift_in = 2,
       .shift_rec = 1,
       .max_spikes = 31,
       .w_lo = -128,
       .w_hi = 127,
       .p_in = 0.3,
       .max_input_count = 20},
      // saturation: large shifted weights, input counts beyond the cap of 15
      {.dash_mem = 15,
       .dash_syn = 15,
       .v_th = 30000,
       .bias = 200,
       .shift_in = 7,
       .shift_rec = 6,
       .max_spikes = 4,
       .w_lo = -128,
       .w_hi = 127,
       .p_in = 0.6,
       .max_input_count = 25},
      // dash_syn = 0 erases every input; the bias alone drives the neurons
      {.dash_mem = 3,
       .dash_syn = 0,
       .v_th = 100,
       .bias = 17,
       .shift_in = 0,
       .shift_rec = 0,
       .max_spikes = 31,
       .w_lo = -128,
       .w_hi = 127,
       .p_in = 0.3,
       .max_input_count = 3},
  };
  int case_index = 0;
  for (const auto& c : cases) {
    INFO("case " << case_index++);
    random_stream rng(200 + static_cast<std::uint64_t>(case_index), "xylo");
    const Eigen::MatrixXd w_in = random_ints(n, n_in, c.w_lo, c.w_hi, rng);
    const Eigen::MatrixXd w_rec = random_ints(n, n, c.w_lo, c.w_hi, rng);
    const auto input = random_input(n_in, steps, c.p_in, c.max_input_count, rng);
    xylo_parameters p;
    p.dash_mem = c.dash_mem;
    p.dash_syn = c.dash_syn;
    p.v_th = {c.v_th};
    p.bias = c.bias;
    p.weight_shift = {c.shift_in, c.shift_rec};
    p.max_spikes = c.max_spikes;
    const auto engine = run_engine(std::make_unique<model_population<xylo_iaf>>(xylo_iaf(p), n),
                                   input, n_in, std::make_unique<dense_projection>(w_in), 0,
                                   std::make_unique<dense_projection>(w_rec), "i_syn", "v");
    const auto ref = xylo_reference(c, w_in, w_rec, input);
    require_equal(engine, ref);
    std::size_t n_spikes = 0, multi = 0, saturated = 0, negative = 0;
    for (std::size_t t = 0; t < steps; ++t) {
      n_spikes += ref.spikes[t].size();
      for (std::size_t k = 1; k < ref.spikes[t].size(); ++k)
        multi += ref.spikes[t][k] == ref.spikes[t][k - 1];
      // Recorded after the decay: a saturated current sits just inside the rails.
      for (auto x : ref.a[t]) saturated += std::abs(x) >= 32760;
      for (auto x : ref.b[t]) negative += x < 0;
    }
    CHECK(n_spikes > 0);
    if (case_index == 2) CHECK(multi > 0);
    if (case_index == 3) CHECK(saturated > 0);
    if (case_index <= 3) CHECK(negative > 0);
  }
}
