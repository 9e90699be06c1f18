// e-prop on the continuous-time rate network (rate_ode) through run_experiment. Its rule
// is the rate map's with the exponential-Euler step h <- e^(-dt/tau) h + (1 - e^(-dt/tau))
// (W r + u): exact for the input, which is held over each step, and first order in dt for
// the recurrent term. So without recurrent weights a rate_ode network's e-prop update must
// equal that of the discrete rate map with alpha = 1 - e^(-dt/tau), a different model and
// code path, to the ODE solver's accuracy; with recurrent weights the two differ.
#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/io/config.hpp"

using namespace chaoschip;

namespace {

std::string exact(double x) {
  std::ostringstream s;
  s << std::setprecision(17) << x;
  return s.str();
}

io::run_data train_once(const std::string& model, double gain) {
  const double alpha = 1.0 - std::exp(-1.0 / 10.0);  // dt = 1 ms, tau = 10 ms
  return experiment::run_experiment(io::parse_config("", "test",
                                                     {"network.model=\"" + model + "\"",
                                                      "network.n_in=20",
                                                      "network.n_rec=30",
                                                      "network.n_out=2",
                                                      "network.gain=" + std::to_string(gain),
                                                      "neuron.tau_m=10.0",
                                                      "neuron.alpha=" + exact(alpha),
                                                      "neuron.ode_tol=1e-11",
                                                      "readout.tau=0.0",
                                                      "readout.loss=\"cross_entropy\"",
                                                      "task.name=\"dms\"",
                                                      "task.steps=60",
                                                      "task.delay=10",
                                                      "task.input_rate=300.0",
                                                      "train.rule=\"eprop\"",
                                                      "train.feedback=\"symmetric\"",
                                                      "train.optimizer=\"sgd\"",
                                                      "train.eta=0.1",
                                                      "train.batch=2",
                                                      "train.iterations=1",
                                                      "lyapunov.when=[]",
                                                      "record.spikes=false"}));
}

double max_rel(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want) {
  return (got - want).cwiseAbs().maxCoeff() / want.cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE("rate_ode e-prop: without recurrent weights it is the exponential-Euler rate map's",
          "[learning][rate_ode]") {
  const auto ode = train_once("rate_ode", 0.0), map = train_once("rate", 0.0);
  REQUIRE(ode.train_loss.size() == 1);
  CHECK(std::abs(ode.train_loss[0] - map.train_loss[0]) < 1e-8 * map.train_loss[0]);
  const Eigen::MatrixXd d_in = ode.final->w_in - ode.initial->w_in,
                        d_in_map = map.final->w_in - map.initial->w_in;
  const Eigen::MatrixXd d_out = ode.final->w_out - ode.initial->w_out,
                        d_out_map = map.final->w_out - map.initial->w_out;
  INFO("w_in " << max_rel(d_in, d_in_map) << ", w_out " << max_rel(d_out, d_out_map));
  CHECK(d_in.cwiseAbs().maxCoeff() > 0.0);
  CHECK(max_rel(d_in, d_in_map) < 1e-9);
  CHECK(max_rel(d_out, d_out_map) < 1e-9);
}

TEST_CASE(
    "rate_ode e-prop: with recurrent weights it differs from the rate map's, and BPTT "
    "is refused",
    "[learning][rate_ode]") {
  const auto ode = train_once("rate_ode", 1.5), map = train_once("rate", 1.5);
  const Eigen::MatrixXd d_rec = ode.final->w_rec - ode.initial->w_rec,
                        d_rec_map = map.final->w_rec - map.initial->w_rec;
  CHECK(d_rec.cwiseAbs().maxCoeff() > 0.0);
  CHECK(max_rel(d_rec, d_rec_map) > 1e-3);
  CHECK_THROWS_WITH(
      experiment::run_experiment(io::parse_config(
          "", "test", {"network.model=\"rate_ode\"", "train.rule=\"bptt\"", "task.steps=20"})),
      Catch::Contains("train.rule") && Catch::Contains("rate_ode"));
}
