#include "chaoschip/experiment/floss.hpp"

#include <memory>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/floss.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/model_binding.hpp"
#include "chaoschip/models/floss.hpp"

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace {

bool spiking(const run_config& c) {
  return capabilities_of(c).spiking;
}

// Input spikes of a sequence as a 0/1 matrix [T, n_in].
models::row_matrix input_matrix(const models::sequence& s, Eigen::Index n_in) {
  models::row_matrix x = models::row_matrix::Zero(static_cast<Eigen::Index>(s.steps()), n_in);
  for (std::size_t t = 0; t < s.steps(); ++t)
    for (auto i : s.input_spikes[t]) x(static_cast<Eigen::Index>(t), i) += 1.0;
  return x;
}

}  // namespace

floss_epoch_result floss_epoch(const run_config& c, const Eigen::MatrixXd& w_in,
                               const Eigen::MatrixXd& w_rec, std::int64_t epoch,
                               models::task* task) {
  const bool exact = c.floss.variant == "bptt";
  if (exact && !capabilities_of(c).floss_exact)
    throw parameter_error("floss.variant", "\"bptt\"",
                          "\"local\" for network.model = \"" + c.network.model +
                              "\" (the exact flossing gradient is implemented for rate networks)");
  if (c.network.delay_rec != 1)
    throw parameter_error("network.delay_rec", std::to_string(c.network.delay_rec),
                          "1 for flossing (the Jacobian of a step must depend on the state "
                          "before it only)");
  const Eigen::Index n = w_rec.rows();
  const auto seed = static_cast<std::uint64_t>(c.seed);
  floss_options o;
  o.k = static_cast<std::size_t>(c.floss.k);
  o.target = c.floss.target;
  o.warmup = c.floss.warmup;
  o.steps = c.floss.steps;

  floss_epoch_result out;
  out.grad_in = Eigen::MatrixXd::Zero(n, w_in.cols());
  out.grad_rec = Eigen::MatrixXd::Zero(n, n);
  out.exponents = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(o.k));
  const double share = 1.0 / static_cast<double>(c.floss.batch);
  for (std::int64_t b = 0; b < c.floss.batch; ++b) {
    const auto window = static_cast<std::uint64_t>(epoch * c.floss.batch + b);
    const models::sequence* seq = task && task->steps() > 0 && c.task.name != "none"
                                      ? &task->get(static_cast<std::int64_t>(window))
                                      : nullptr;
    // Initial state as for Lyapunov spectra, from its own stream per window.
    random_stream rng(seed, "floss.initial", window);
    Eigen::VectorXd x0(n);
    for (auto& v : x0)
      v = c.lyapunov.initial_scale * (spiking(c) ? c.neuron.v_th : 1.0) * rng.normal();
    floss_result r;
    if (exact) {
      models::rate_floss_problem p;
      p.w_rec = w_rec;
      p.w_in = w_in;
      p.alpha = c.neuron.alpha;
      p.phi = models::parse_activation(c.neuron.phi);
      if (seq) p.x = input_matrix(*seq, w_in.cols());
      p.h0 = x0;
      p.q0 = random_orthonormal(n, static_cast<Eigen::Index>(o.k), seed, "floss.tangent", window);
      r = models::floss_rate_bptt(p, o);
    } else {
      auto pop = make_recurrent(c);
      pop->set_variable(spiking(c) ? "v" : "h", x0);
      const auto p_rec = make_projection(c, w_rec);
      const auto p_in = make_projection(c, w_in);
      population_tangent_system::input_fn input;
      if (seq)
        input = [seq, w = p_in.get()](std::int64_t t, Eigen::Ref<Eigen::VectorXd> in) {
          w->deliver_spikes(seq->input_spikes[static_cast<std::size_t>(t) % seq->steps()],
                            in.data());
        };
      const auto q0 =
          random_orthonormal(static_cast<Eigen::Index>(pop->tangent_dim()),
                             static_cast<Eigen::Index>(o.k), seed, "floss.tangent", window);
      r = floss_local(*pop, p_rec.get(), input, q0, o);
    }
    out.loss += share * r.loss;
    out.exponents += share * r.exponents;
    out.grad_rec += share * r.grad_rec;
    if (r.grad_in.size() > 0) out.grad_in += share * r.grad_in;
  }
  return out;
}

}  // namespace chaoschip::experiment
