// Learning on quantised weights through run_experiment (chips.md, "Low-precision
// learning"): the codes stay on the grid and are the weights the network ran with;
// round-to-nearest direct updates lose every update below half a step, a float64 shadow
// keeps them; the shadow and the codes agree.
#include <cmath>
#include <tuple>

#include <catch2/catch.hpp>

#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/io/config.hpp"

using namespace chaoschip;

namespace {

// A small rate network on dms with 4-bit weights on the float64 kernel.
io::run_data run(std::vector<std::string> overrides) {
  std::vector<std::string> all = {"network.model=\"rate\"",
                                  "network.n_in=40",
                                  "network.n_rec=30",
                                  "network.n_out=2",
                                  "network.gain=1.5",
                                  "neuron.alpha=0.1",
                                  "readout.tau=0.0",
                                  "readout.loss=\"cross_entropy\"",
                                  "task.name=\"dms\"",
                                  "task.steps=60",
                                  "task.delay=10",
                                  "task.input_rate=300.0",
                                  "train.rule=\"eprop\"",
                                  "train.feedback=\"symmetric\"",
                                  "train.optimizer=\"adam\"",
                                  "train.batch=4",
                                  "train.iterations=6",
                                  "lyapunov.when=[]",
                                  "record.spikes=false",
                                  "chip.weight_bits=4"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  return experiment::run_experiment(io::parse_config("", "test", all));
}

Eigen::MatrixXd dequantized(const io::integer_weights& w) {
  if (w.scale.size() == 1) return w.codes * w.scale[0];
  return w.scale.asDiagonal() * w.codes;
}

std::int64_t changed(const io::run_data& r, const std::string& name) {
  return ((r.chip->final.at(name).codes - r.chip->initial.at(name).codes).array() != 0.0).count();
}

}  // namespace

TEST_CASE("quantised learning: the codes stay on the grid and are the weights the network used",
          "[chip][learning]") {
  for (const std::string mode : {"direct", "shadow"}) {
    for (const std::string quantizer : {"per_tensor", "per_row"}) {
      INFO("update_mode " << mode << ", quantizer " << quantizer);
      const auto r =
          run({"train.eta=0.05", "chip.update_rounding=\"stochastic\"",
               "chip.update_mode=\"" + mode + "\"", "chip.quantizer=\"" + quantizer + "\""});
      REQUIRE(r.chip);
      for (const std::string name : {"w_in", "w_rec"}) {
        const auto& codes = r.chip->final.at(name).codes;
        CHECK((codes.array() == codes.array().round()).all());
        CHECK(codes.cwiseAbs().maxCoeff() <= 7.0);
        CHECK(changed(r, name) > 0);
        // The float weights the network ended with are exactly the dequantised codes.
        const Eigen::MatrixXd& used = name == "w_in" ? r.final->w_in : r.final->w_rec;
        CHECK((used - dequantized(r.chip->final.at(name))).cwiseAbs().maxCoeff() == 0.0);
      }
      CHECK(r.chip->final.at("w_rec").codes.diagonal().cwiseAbs().maxCoeff() == 0.0);
      CHECK(r.chip->shadow.empty() == (mode == "direct"));
    }
  }
}

TEST_CASE("quantised learning: round-to-nearest loses small updates unless a shadow keeps them",
          "[chip][learning]") {
  // Adam's steps are about eta = 1e-3 per weight, a 4-bit step about max|w| / 7 ~ 0.1.
  const auto direct = run({"train.eta=1e-3", "chip.update_rounding=\"nearest\""});
  CHECK(changed(direct, "w_in") == 0);
  CHECK(changed(direct, "w_rec") == 0);
  const auto shadow =
      run({"train.eta=1e-3", "chip.update_rounding=\"nearest\"", "chip.update_mode=\"shadow\""});
  CHECK(changed(shadow, "w_in") + changed(shadow, "w_rec") > 0);
  // The codes are the shadow rounded to the nearest code (no clipping at 4 bits here:
  // the per-tensor scale maps the initial max|w| to 7).
  for (const std::string name : {"w_in", "w_rec"}) {
    const auto& w = shadow.chip->final.at(name);
    const Eigen::MatrixXd& s = shadow.chip->shadow.at(name);
    Eigen::MatrixXd expected = (s / w.scale[0]).array().round().matrix();
    expected = expected.cwiseMax(-7.0).cwiseMin(7.0);
    if (name == "w_rec") expected.diagonal().setZero();
    INFO(name);
    CHECK((w.codes - expected).cwiseAbs().maxCoeff() == 0.0);
  }
  // Stochastic direct rounding keeps the expected update: codes move at the same eta.
  const auto stochastic = run({"train.eta=1e-3", "chip.update_rounding=\"stochastic\""});
  CHECK(changed(stochastic, "w_in") + changed(stochastic, "w_rec") > 0);
}

TEST_CASE("quantised learning: integer traces need a spiking network", "[chip][learning]") {
  CHECK_THROWS_WITH(run({"chip.trace_bits=7"}), Catch::Contains("chip.trace_bits"));
  CHECK_THROWS_WITH(
      run({"network.model=\"rate_ode\"", "chip.trace_bits=16", "chip.trace_frac_bits=11"}),
      Catch::Contains("chip.trace_bits"));
}

namespace {
// The default LIF network on sine, one e-prop iteration (SGD): the float weights' update.
io::run_data one_lif_iteration(std::vector<std::string> overrides) {
  std::vector<std::string> all = {"train.rule=\"eprop\"", "train.iterations=1", "train.eta=1e-4",
                                  "train.optimizer=\"sgd\"", "train.c_reg=0.0",
                                  "lyapunov.when=[]", "record.spikes=false"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  return experiment::run_experiment(io::parse_config("", "test", all));
}
double max_rel(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want) {
  return (got - want).cwiseAbs().maxCoeff() / want.cwiseAbs().maxCoeff();
}
}  // namespace

TEST_CASE("learning on the fixed kernel: at high precision, e-prop's update is the float one",
          "[chip][learning]") {
  // A what-if chip with 32-bit weights, a 48-bit state with 30 fractional bits and 40-bit
  // decays runs the float LIF's spikes exactly; its e-prop update (through the kernel's own
  // pseudo-derivative, decay code and weight units; kept in a float shadow so that the
  // update is seen unrounded) must then be the float network's. 32-bit traces with 28
  // fractional bits too; SpiNNaker's 16-bit s4.11 traces change it by a few percent.
  const auto ref = one_lif_iteration({});
  const std::vector<std::string> chip = {"chip.profile=\"spinnaker\"",
                                         "chip.update_mode=\"shadow\"",
                                         "chip.weight_bits=32",
                                         "chip.state_bits=48",
                                         "chip.state_frac_bits=30",
                                         "chip.decay_bits=40",
                                         "chip.state_rounding=\"nearest\"",
                                         "chip.rounding=\"nearest\""};
  auto with = [&](std::vector<std::string> extra) {
    auto o = chip;
    o.insert(o.end(), extra.begin(), extra.end());
    return one_lif_iteration(o);
  };
  for (const auto& [traces, lo, hi] :
       {std::tuple{std::vector<std::string>{"chip.trace_bits=0"}, 0.0, 1e-5},
        std::tuple{std::vector<std::string>{"chip.trace_bits=32", "chip.trace_frac_bits=28"}, 0.0,
                   1e-5},
        std::tuple{std::vector<std::string>{"chip.trace_bits=16", "chip.trace_frac_bits=11"}, 1e-3,
                   0.1}}) {
    const auto r = with(traces);
    for (const std::string name : {"w_in", "w_rec"}) {
      const Eigen::MatrixXd& w0 = name == "w_in" ? ref.initial->w_in : ref.initial->w_rec;
      const Eigen::MatrixXd& w1 = name == "w_in" ? ref.final->w_in : ref.final->w_rec;
      const double err = max_rel(r.chip->shadow.at(name) - w0, w1 - w0);
      INFO(traces.back() << ", " << name << ": max relative difference " << err);
      CHECK(err >= lo);
      CHECK(err < hi);
    }
  }
}

TEST_CASE("learning on chips: xylo has no on-chip learning, and fixed-point traces need a format",
          "[chip][learning]") {
  CHECK_THROWS_WITH(one_lif_iteration({"chip.profile=\"xylo\""}),
                    Catch::Contains("chip.kernel") && Catch::Contains("no on-chip learning"));
  CHECK_THROWS_WITH(one_lif_iteration({"chip.weight_bits=8", "chip.trace_bits=8"}),
                    Catch::Contains("chip.trace_frac_bits"));
  // A fixed-point state too coarse for the threshold (v_th = 0.03 needs 6 fractional bits).
  CHECK_THROWS_WITH(one_lif_iteration({"chip.profile=\"spinnaker\"", "chip.state_frac_bits=4"}),
                    Catch::Contains("chip.state_frac_bits"));
  CHECK_NOTHROW(one_lif_iteration({"chip.profile=\"spinnaker\"", "chip.state_frac_bits=6"}));
}
