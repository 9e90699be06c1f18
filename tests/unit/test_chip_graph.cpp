// NIR graphs on a chip (docs/nir.md, "Graphs on a chip"): the per-neuron forms of the
// integer kernels. Loihi's LIF with per-neuron arrays that are all equal is bit-identical
// to the homogeneous (scalar) kernel, and with different values per neuron each neuron
// equals a homogeneous one-neuron kernel with its values; the same for the fixed-point NIR
// neuron (fixed_graph_lif). Inputs are random integers over 10,000 steps, large enough to
// wrap u and saturate v. The arithmetic itself is checked against NumPy in
// tests/validation/nir_chip_replay.sh.
#include <catch2/catch.hpp>

#include <vector>

#include "chaoschip/core/random.hpp"
#include "chaoschip/neuromorphic/backend.hpp"
#include "chaoschip/neuromorphic/fixed_graph_lif.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"
#include "chaoschip/neuromorphic/profile.hpp"

using namespace chaoschip;
using namespace chaoschip::neuromorphic;

namespace {

constexpr Eigen::Index n = 5;
constexpr int steps = 10000;

std::vector<Eigen::VectorXd> random_drive(std::uint64_t seed, double scale) {
  random_stream rng(seed, "chip_graph");
  std::vector<Eigen::VectorXd> in(steps, Eigen::VectorXd(n));
  for (auto& x : in)
    for (auto& v : x) v = std::nearbyint(scale * rng.normal() + 0.2 * scale);
  return in;
}

int_array constant(std::int64_t x) {
  return int_array::Constant(n, x);
}

// Runs a kernel and returns every step's (a, b, spikes) as one flat vector of integers.
template <class Model, class Get>
std::vector<std::int64_t> run(const Model& m, const std::vector<Eigen::VectorXd>& in, Get get) {
  auto s = m.make_state(static_cast<std::size_t>(n));
  std::vector<std::int64_t> out;
  for (const auto& x : in) {
    m.step(s, x);
    get(s, out);
  }
  return out;
}

// Neuron i of a per-neuron kernel against a one-neuron homogeneous kernel.
template <class Model, class Get>
void require_each_neuron(const Model& per, const std::vector<Model>& single,
                         const std::vector<Eigen::VectorXd>& in, Get get) {
  auto s = per.make_state(static_cast<std::size_t>(n));
  std::vector<typename Model::state> one;
  for (const auto& m : single) one.push_back(m.make_state(1));
  std::size_t spikes = 0;
  for (const auto& x : in) {
    per.step(s, x);
    for (Eigen::Index i = 0; i < n; ++i) {
      single[static_cast<std::size_t>(i)].step(one[static_cast<std::size_t>(i)], x.segment(i, 1));
      std::vector<std::int64_t> a, b;
      get(s, a);
      get(one[static_cast<std::size_t>(i)], b);
      REQUIRE(a[static_cast<std::size_t>(i)] == b[0]);
      REQUIRE(s.z[i] == one[static_cast<std::size_t>(i)].z[0]);
      spikes += s.z[i] != 0.0 ? 1 : 0;
    }
  }
  CHECK(spikes > 100);
}

}  // namespace

TEST_CASE("Loihi LIF: all-equal per-neuron arrays equal the homogeneous kernel bit for bit",
          "[chip][nir]") {
  const auto in = random_drive(1, 300.0);
  auto get = [](const loihi_lif::state& s, std::vector<std::int64_t>& out) {
    for (Eigen::Index i = 0; i < n; ++i) {
      out.push_back(s.u[i]);
      out.push_back(s.v[i]);
      out.push_back(static_cast<std::int64_t>(s.z[i]));
    }
  };
  loihi_lif_parameters scalar{.du = 410, .dv = 205, .vth = 900, .bias_mant = -37, .bias_exp = 3};
  scalar.state_bits = 18;  // u wraps and v saturates with this drive
  loihi_lif_parameters per = scalar;
  per.du_n = constant(scalar.du);
  per.dv_n = constant(scalar.dv);
  per.vth_n = constant(scalar.vth);
  per.bias_mant_n = constant(scalar.bias_mant);
  per.bias_exp_n = constant(scalar.bias_exp);
  REQUIRE(per.per_neuron());
  const auto a = run(loihi_lif(scalar), in, get), b = run(loihi_lif(per), in, get);
  REQUIRE(a == b);
  // The drive exercises the wrap and the saturation.
  std::int64_t max_abs = 0;
  for (std::size_t k = 0; k < a.size(); k += 3) max_abs = std::max(max_abs, std::abs(a[k + 1]));
  CHECK(max_abs == (std::int64_t{1} << 17) - 1);
}

TEST_CASE("Loihi LIF: per-neuron values give each neuron its own homogeneous kernel",
          "[chip][nir]") {
  const auto in = random_drive(2, 200.0);
  loihi_lif_parameters per{.du = 0, .dv = 0, .vth = 0, .bias_mant = 0, .bias_exp = 0};
  per.du_n = int_array{{0, 409, 2047, 4095, 1}};
  per.dv_n = int_array{{4095, 205, 0, 1024, 3000}};
  per.vth_n = int_array{{100, 5000, 40, 800, 2}};
  per.bias_mant_n = int_array{{0, 4095, -4096, 17, -3}};
  per.bias_exp_n = int_array{{0, 2, -3, 5, 0}};
  std::vector<loihi_lif> single;
  for (Eigen::Index i = 0; i < n; ++i)
    single.emplace_back(loihi_lif_parameters{.du = per.du_n[i],
                                             .dv = per.dv_n[i],
                                             .vth = per.vth_n[i],
                                             .bias_mant = per.bias_mant_n[i],
                                             .bias_exp = per.bias_exp_n[i]});
  auto get = [](const loihi_lif::state& s, std::vector<std::int64_t>& out) {
    for (Eigen::Index i = 0; i < s.v.size(); ++i) out.push_back(s.v[i] * (1 << 20) + s.u[i]);
  };
  require_each_neuron(loihi_lif(per), single, in, get);
  // A per-neuron array of the wrong length is refused when the population is made.
  loihi_lif_parameters bad = per;
  bad.vth_n = int_array{{1, 2}};
  CHECK_THROWS(loihi_lif(bad).make_state(static_cast<std::size_t>(n)));
}

TEST_CASE("fixed_graph_lif: homogeneous and per-neuron forms agree bit for bit", "[chip][nir]") {
  fixed_graph_lif_parameters base;
  base.state = {24, 10, true};
  base.decay_bits = 16;
  base.multiply_rounding = rounding::nearest;
  base.synapse = true;
  base.subtract = GENERATE(false, true);
  base.alpha_syn = int_array::Constant(1, 36000);
  base.alpha = int_array::Constant(1, 60000);
  base.leak = int_array::Constant(1, -7);
  base.v_th = int_array::Constant(1, 3000);
  base.v_reset = int_array::Constant(1, -200);
  const auto in = random_drive(3, 800.0);
  auto get = [](const fixed_graph_lif::state& s, std::vector<std::int64_t>& out) {
    for (Eigen::Index i = 0; i < s.v.size(); ++i) {
      out.push_back(s.v[i]);
      out.push_back(s.i_syn[i]);
      out.push_back(static_cast<std::int64_t>(s.z[i]));
    }
  };
  fixed_graph_lif_parameters equal = base;
  equal.alpha_syn = constant(36000);
  equal.alpha = constant(60000);
  equal.leak = constant(-7);
  equal.v_th = constant(3000);
  equal.v_reset = constant(-200);
  REQUIRE(run(fixed_graph_lif(base), in, get) == run(fixed_graph_lif(equal), in, get));

  fixed_graph_lif_parameters per = base;
  per.alpha_syn = int_array{{0, 1000, 36000, 65535, 50000}};
  per.alpha = int_array{{65535, 30000, 0, 60000, 45000}};
  per.leak = int_array{{0, 50, -50, 3, 400}};
  per.v_th = int_array{{3000, 500, 8000, 1, 2500}};
  per.v_reset = int_array{{0, -100, 100, 0, -3000}};
  std::vector<fixed_graph_lif> single;
  for (Eigen::Index i = 0; i < n; ++i) {
    auto p = base;
    p.alpha_syn = int_array::Constant(1, per.alpha_syn[i]);
    p.alpha = int_array::Constant(1, per.alpha[i]);
    p.leak = int_array::Constant(1, per.leak[i]);
    p.v_th = int_array::Constant(1, per.v_th[i]);
    p.v_reset = int_array::Constant(1, per.v_reset[i]);
    single.emplace_back(p);
  }
  auto get_v = [](const fixed_graph_lif::state& s, std::vector<std::int64_t>& out) {
    for (Eigen::Index i = 0; i < s.v.size(); ++i) out.push_back(s.v[i] * (1 << 25) + s.i_syn[i]);
  };
  require_each_neuron(fixed_graph_lif(per), single, in, get_v);
}

TEST_CASE("Graph nodes the kernels cannot run are refused naming the node and kernel",
          "[chip][nir]") {
  graph_neurons li;
  li.name = "readout";
  li.type = "LI";
  const std::vector<Eigen::MatrixXd> w = {Eigen::MatrixXd::Ones(2, 2)};
  for (const char* name : {"loihi", "spinnaker", "xylo"}) {
    const auto b = make_backend(*find_builtin(name));
    try {
      b->make_graph_layer(li, w, nullptr);
      FAIL("no error");
    } catch (const parameter_error& e) {
      CHECK(e.key() == "chip.kernel");
      CHECK_THAT(e.what(), Catch::Contains("'readout'"));
    }
  }
  // Lava resets v to 0: subtraction is refused on loihi.
  graph_neurons lif;
  lif.name = "lif1";
  lif.type = "CubaLIF";
  lif.lif = lif.synapse = lif.subtract = true;
  lif.decay_syn = lif.decay_mem = lif.gain = lif.v_th = Eigen::ArrayXd::Constant(2, 0.5);
  lif.leak = lif.v_reset = Eigen::ArrayXd::Zero(2);
  const auto loihi = make_backend(*find_builtin("loihi"));
  CHECK_THROWS_AS(loihi->make_graph_layer(lif, w, nullptr), parameter_error);
  lif.subtract = false;
  CHECK(loihi->make_graph_layer(lif, w, nullptr).min_delay == 1);
}
