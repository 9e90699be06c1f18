// Each chip kernel's learning arithmetic on its own (neuromorphic/backend.hpp). Expected
// values come from the chip arithmetic in docs/chips.md: Lava's Dense truncates a weight
// to num_weight_bits with w = (w >> k) << k, k = 8 - bits + 1 for mixed sign (8 - bits
// otherwise), in the 9-bit range [-256, 255]; the float64 and fixed kernels' codes are
// symmetric b-bit integers, +-(2^(b-1) - 1).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/neuromorphic/backend.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"

using namespace chaoschip;
namespace nm = chaoschip::neuromorphic;

namespace {

nm::chip_profile profile_of(const char* name, int weight_bits = -1) {
  nm::chip_profile p = *nm::find_builtin(name);
  if (weight_bits >= 0) p.weight_bits = weight_bits;
  if (p.weight_bits > 0 && p.quantizer == nm::quantizer_kind::none)
    p.quantizer = nm::quantizer_kind::per_tensor;
  return p;
}

// The truncation step of Lava's rule, by integer shifts: 1 << k.
double lava_step(int bits, bool mixed) {
  return static_cast<double>(std::int64_t{1} << (8 - bits + (mixed ? 1 : 0)));
}

// A float step of `steps` grid steps on one weight of code 0 (scale 1 per code).
double one_update(const nm::backend& b, double step_in_codes, nm::stochastic_source& s) {
  const Eigen::MatrixXd codes = Eigen::MatrixXd::Zero(1, 1);
  const Eigen::VectorXd scale = Eigen::VectorXd::Ones(1);
  return b.update_codes(codes, scale, Eigen::MatrixXd::Constant(1, 1, step_in_codes), s)(0, 0);
}

nm::float_lif neuron() {
  return {.dt = 1.0, .tau_m = 20.0, .v_th = 0.5, .c_in = 1.0 - std::exp(-1.0 / 20.0)};
}

}  // namespace

TEST_CASE("backends: one per kernel, chosen from kernel_kind", "[chip_backends]") {
  for (const char* name : {"float64", "loihi", "xylo", "spinnaker"}) {
    const auto p = profile_of(name);
    const auto b = nm::make_backend(p);
    CHECK(b->kind() == p.kernel);
    CHECK(b->float_models() == (p.kernel == nm::kernel_kind::float64));
    CHECK(b->learns() == (p.kernel != nm::kernel_kind::xylo));
    CHECK(b->exponent_dataset() ==
          (p.kernel == nm::kernel_kind::loihi ? "weight_exp" : "weight_shift"));
  }
}

TEST_CASE("loihi backend: the update grid is Lava's truncation step", "[chip_backends]") {
  const Eigen::MatrixXd mixed = (Eigen::MatrixXd(1, 2) << -4, 6).finished();
  const Eigen::MatrixXd excitatory = (Eigen::MatrixXd(1, 2) << 4, 6).finished();
  for (int bits = 2; bits <= 8; ++bits) {
    const auto b = nm::make_backend(profile_of("loihi", bits));
    for (bool is_mixed : {true, false}) {
      const nm::update_grid g = b->grid(is_mixed ? mixed : excitatory);
      INFO("bits " << bits << (is_mixed ? " mixed" : " single sign"));
      CHECK(g.step == lava_step(bits, is_mixed));
      CHECK(g.lo == -256.0);
      CHECK(g.hi == 256.0 - lava_step(bits, is_mixed));
    }
  }
  // 8 bits, mixed: the even numbers of [-256, 254].
  CHECK(nm::make_backend(profile_of("loihi", 8))->grid(mixed).step == 2.0);
  CHECK(nm::make_backend(profile_of("loihi", 8))->grid(mixed).hi == 254.0);
}

TEST_CASE("loihi backend: learned codes stay on Lava's grid and range", "[chip_backends]") {
  auto p = profile_of("loihi", 6);
  p.update_rounding = nm::rounding::nearest;
  p.updates = nm::update_mode::direct;
  const auto b = nm::make_backend(p);
  const Eigen::MatrixXd codes = (Eigen::MatrixXd(2, 2) << -8, 8, 248, -256).finished();
  const Eigen::VectorXd scale = Eigen::VectorXd::Constant(2, 0.5);  // float weight per code
  // Float steps of +3.3, -20.1, +102 and -102 codes.
  const Eigen::MatrixXd dw = (Eigen::MatrixXd(2, 2) << 1.65, -10.05, 51.0, -51.0).finished();
  nm::stochastic_source s(1, "test");
  const Eigen::MatrixXd out = b->update_codes(codes, scale, dw, s);
  for (Eigen::Index i = 0; i < out.size(); ++i) {
    const auto k = static_cast<std::int64_t>(out.data()[i]);
    CHECK(((k >> 3) << 3) == k);  // on the grid: w = (w >> 3) << 3 for 6-bit mixed weights
  }
  CHECK(out(0, 0) == -8.0);   // +3.3 codes = 0.41 steps of 8: lost under nearest rounding
  CHECK(out(0, 1) == -16.0);  // -20.1 codes = -2.51 steps -> -3 steps
  CHECK(out(1, 0) == 248.0);  // 248 + 13 steps: clipped to 256 - 8
  CHECK(out(1, 1) == -256.0);
}

TEST_CASE("fixed and float64 backends: symmetric codes +-(2^(b-1) - 1)", "[chip_backends]") {
  for (const char* name : {"float64", "spinnaker"}) {
    for (int bits : {2, 4, 8, 16}) {
      const auto b = nm::make_backend(profile_of(name, bits));
      const nm::update_grid g = b->grid(Eigen::MatrixXd::Ones(2, 2));
      const double q = static_cast<double>((std::int64_t{1} << (bits - 1)) - 1);
      INFO(name << " " << bits << " bits");
      CHECK(g.step == 1.0);
      CHECK(g.hi == q);
      CHECK(g.lo == -q);
      nm::stochastic_source s(2, "test");
      CHECK(one_update(*b, 1e9, s) == q);
      CHECK(one_update(*b, -1e9, s) == -q);
    }
  }
}

TEST_CASE(
    "backends: an update below half a step is lost under nearest rounding, kept in "
    "expectation under stochastic rounding",
    "[chip_backends]") {
  for (const char* name : {"float64", "spinnaker", "loihi"}) {
    auto p = profile_of(name, 8);
    p.updates = nm::update_mode::direct;
    p.update_rounding = nm::rounding::nearest;
    const auto nearest = nm::make_backend(p);
    p.update_rounding = nm::rounding::stochastic;
    const auto stochastic = nm::make_backend(p);
    // 0.3 of a grid step (Loihi's 8-bit single-sign step is 1 code; zero codes are single
    // sign).
    const double step = nearest->grid(Eigen::MatrixXd::Zero(1, 1)).step;
    nm::stochastic_source s(3, "test");
    INFO(name);
    CHECK(one_update(*nearest, 0.3 * step, s) == 0.0);
    CHECK(one_update(*nearest, 0.7 * step, s) == step);
    const int n = 20000;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
      const double u = one_update(*stochastic, 0.3 * step, s);
      CHECK((u == 0.0 || u == step));
      sum += u;
    }
    // Binomial: mean 0.3 step, standard error sqrt(0.21 / n) = 0.0032 steps.
    CHECK(sum / n == Approx(0.3 * step).margin(0.02 * step));
  }
}

TEST_CASE("backends: shadow mode re-quantises the whole shadow weight", "[chip_backends]") {
  auto p = profile_of("float64", 4);
  p.updates = nm::update_mode::shadow;
  p.update_rounding = nm::rounding::nearest;
  const auto b = nm::make_backend(p);
  const Eigen::MatrixXd codes = (Eigen::MatrixXd(2, 1) << 3, -3).finished();
  const Eigen::VectorXd row_scale = (Eigen::VectorXd(2) << 0.5, 2.0).finished();
  // Shadow weights 1.26 (2.52 codes of 0.5 -> 3) and -20 (-10 codes of 2 -> clipped to -7).
  const Eigen::MatrixXd shadow = (Eigen::MatrixXd(2, 1) << 1.26, -20.0).finished();
  nm::stochastic_source s(4, "test");
  const Eigen::MatrixXd out = b->update_codes(codes, row_scale, shadow, s);
  CHECK(out(0, 0) == 3.0);
  CHECK(out(1, 0) == -7.0);
}

TEST_CASE("backends: layers, input delay, pseudo-derivative scale, decay, codes written back",
          "[chip_backends]") {
  const Eigen::MatrixXd w_in = (Eigen::MatrixXd(2, 1) << 0.2, -0.1).finished();
  const Eigen::MatrixXd w_rec = (Eigen::MatrixXd(2, 2) << 0.0, 0.3, -0.25, 0.0).finished();
  int float_pops = 0;
  const nm::layer_parts parts{
      [&] {
        ++float_pops;
        return std::unique_ptr<population>(
            std::make_unique<model_population<nm::fixed_lif>>(nm::fixed_lif({}), 2));
      },
      [](const Eigen::MatrixXd& w) { return std::make_unique<dense_projection>(w); }};
  for (const char* name : {"float64", "loihi", "xylo", "spinnaker"}) {
    const auto b = nm::make_backend(profile_of(name, 8));
    const nm::chip_mapping m = b->map_weights(neuron(), w_in, w_rec, 0.3, 1);
    INFO(name);
    auto layer = b->make_layer(&m, w_in, w_rec, 2, parts);
    CHECK(layer.recurrent->size() == 2);
    CHECK(layer.input_delay == (b->kind() == nm::kernel_kind::loihi ? 1u : 0u));
    const bool integer_state =
        b->kind() == nm::kernel_kind::loihi || b->kind() == nm::kernel_kind::fixed;
    CHECK(b->psi_scale(m) == (integer_state ? m.sigma : 1.0));
    if (b->kind() == nm::kernel_kind::loihi) {
      CHECK(m.loihi.gamma == 0.3);
      CHECK(*b->membrane_decay(m) == 1.0 - static_cast<double>(m.loihi.dv) / 4096.0);
    }
    if (!b->learns()) continue;
    // Learned codes reach the projection in the units it computes with.
    nm::chip_weights cw = m.w_rec;
    const Eigen::MatrixXd codes = (Eigen::MatrixXd(2, 2) << 0, 4, -6, 0).finished();
    b->assign_codes(*layer.rec, cw, codes);
    CHECK(cw.codes == codes);
    CHECK(b->codes_of(*layer.rec, cw) == codes);
    // Checkpoints keep what the projection holds: Loihi's integer weights, else floats.
    const Eigen::MatrixXd held = b->held_weights(*layer.rec);
    b->set_held_weights(*layer.input, b->held_weights(*layer.input));
    if (b->kind() == nm::kernel_kind::loihi)
      CHECK(held == codes);
    else
      CHECK(held == layer.rec->to_dense());
    if (b->kind() == nm::kernel_kind::loihi)
      CHECK(dynamic_cast<const nm::loihi_dense&>(*layer.rec).integer_weights() == codes);
    else if (b->kind() == nm::kernel_kind::fixed)
      CHECK(layer.rec->to_dense() == std::ldexp(1.0, cw.exponent) * codes);
    else
      CHECK(layer.rec->to_dense().isApprox(nm::dequantize(cw)));
  }
  CHECK(float_pops == 1);  // only float64 runs the float model
}

TEST_CASE("backends: the e-prop traces' arithmetic per kernel", "[chip_backends]") {
  auto loihi = profile_of("loihi");
  const nm::trace_arithmetic tl = nm::make_backend(loihi)->traces();
  CHECK(tl.bits == loihi.trace_bits);
  CHECK(tl.frac_bits == -1);  // impulse traces
  auto fixed = profile_of("spinnaker");
  fixed.trace_bits = 12;
  fixed.trace_frac_bits = 8;
  fixed.state_rounding = nm::rounding::stochastic;
  const nm::trace_arithmetic tf = nm::make_backend(fixed)->traces();
  CHECK(tf.bits == 12);
  CHECK(tf.frac_bits == 8);
  CHECK(tf.decay_rounding == nm::rounding::stochastic);
  fixed.state_rounding = nm::rounding::toward_zero;
  CHECK(nm::make_backend(fixed)->traces().decay_rounding == nm::rounding::floor);
  CHECK(nm::make_backend(profile_of("float64"))->traces().bits == 0);
}
