#include "chaoschip/experiment/learning.hpp"

#include <cmath>

#include "chaoschip/core/model_population.hpp"
#include "chaoschip/experiment/model_binding.hpp"
#include "chaoschip/models/lif.hpp"

namespace chaoschip::experiment {

namespace {

// The recurrent layer's decay per step: a chip's own decay code, the LIF membrane or
// rate_ode's exponential-Euler map of one step (h <- e^(-dt/tau) h + (1 - e^(-dt/tau))
// (W r + u): exact for the input held over the step, first order in dt for the
// recurrent term), or the rate map's leak.
double decay_of(const plan& p, const built_network& b, bool spiking) {
  const auto& c = p.config;
  if (b.chip)
    if (const auto chip = p.chip.backend->membrane_decay(*b.chip)) return *chip;
  const bool ode_model = model_of(c) == models::model_kind::rate_ode;
  return spiking || ode_model ? std::exp(-c.network.dt / c.neuron.tau_m) : 1.0 - c.neuron.alpha;
}

// The input gain: the kernel's own (the fixed kernel's exact c_in), or the model's.
double input_gain_of(const plan& p, bool spiking, double alpha) {
  const auto& c = p.config;
  if (const auto gain = p.chip.backend->input_gain(p.chip.neuron)) return *gain;
  if (spiking) return c.neuron.regular_spike_arrival ? 1.0 : 1.0 - alpha;
  return model_of(c) == models::model_kind::rate_ode ? 1.0 - alpha : c.neuron.alpha;
}

}  // namespace

learning_constants learning_constants_of(const plan& p, const built_network& b) {
  const auto& c = p.config;
  const bool spiking = b.net.at(b.recurrent).output() == output_kind::spikes;
  const double alpha = decay_of(p, b, spiking);
  const double c_z = input_gain_of(p, spiking, alpha);
  const double kappa = c.readout.tau > 0 ? std::exp(-c.network.dt / c.readout.tau) : 0.0;
  const double f_target = c.train.f_target * c.network.dt * 1e-3;
  const double c_reg = spiking ? c.train.c_reg : 0.0;
  learning_constants k;
  auto& es = k.eprop;
  es.alpha = alpha;
  es.c_z = c_z;
  es.kappa = kappa;
  es.alpha_out = kappa;
  es.c_out = 1.0 - kappa;
  es.c_reg = c_reg;
  es.f_target = f_target;
  es.average_gradient = c.train.average_gradient;
  auto& bs = k.bptt;
  bs.alpha = alpha;
  bs.c_z = c_z;
  bs.v_th = c.neuron.v_th;
  bs.alpha_out = kappa;
  bs.c_out = 1.0 - kappa;
  bs.c_reg = c_reg;
  bs.f_target = f_target;
  bs.reset_gradient = c.train.reset_gradient;
  bs.average_gradient = c.train.average_gradient;
  if (model_of(c) == models::model_kind::alif) {
    const auto& lif = dynamic_cast<const model_population<models::lif>&>(b.net.at(b.recurrent));
    const auto n = static_cast<std::size_t>(c.network.n_rec);
    es.rho = bs.rho = lif.model_value().rho();
    es.beta = bs.beta = Eigen::VectorXd(static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i)
      es.beta[static_cast<Eigen::Index>(i)] = bs.beta[static_cast<Eigen::Index>(i)] =
          lif.model_value().beta_of(i, n);
  }
  k.traces = p.chip.backend->traces();
  return k;
}

models::eprop_settings sequence_settings(const learning_constants& k, const plan& p,
                                         std::int64_t sequence, models::task& task) {
  models::eprop_settings s = k.eprop;
  if (k.traces.bits > 0) {
    using r = models::eprop_settings::rounding;
    s.trace_bits = k.traces.bits;
    s.trace_frac_bits = k.traces.frac_bits;
    s.trace_rounding = k.traces.decay_rounding == neuromorphic::rounding::nearest ? r::nearest
                       : k.traces.decay_rounding == neuromorphic::rounding::stochastic
                           ? r::stochastic
                           : r::floor;
    s.trace_seed =
        static_cast<std::uint64_t>(p.config.seed) * 1000003u + static_cast<std::uint64_t>(sequence);
  }
  if (p.learning.nest_variant) {
    const auto& next = task.get(sequence + 1).input_spikes;
    if (next.size() > 1) s.late_signal_inputs = next[1];
  }
  return s;
}

}  // namespace chaoschip::experiment
