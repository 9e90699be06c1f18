#include "chaoschip/experiment/learning.hpp"

#include <cmath>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/models/registry.hpp"

namespace chaoschip::experiment {

namespace {

// The recurrent model's constants from the registry (the LIF membrane, rate_ode's
// exponential-Euler map of one step, the rate map's leak, NIR's LIF propagator: see
// docs/learning.md); a chip's own decay code and input gain replace them.
models::learning_constants model_constants_of(const plan& p, const built_network& b) {
  if (!p.learning.training()) return {};  // simulation only: nothing to learn
  const network_plan& n = p.network;
  auto k =
      models::learning_constants_of(n.recurrent_model, n.recurrent_values, n.recurrent_dt, n.n_rec);
  if (!k)
    throw parameter_error("network.model", std::string(models::to_string(n.recurrent_model)),
                          "a model e-prop and BPTT can train");
  if (b.chip)
    if (const auto chip = p.chip.backend->membrane_decay(*b.chip)) k->alpha = *chip;
  if (const auto gain = p.chip.backend->input_gain(p.chip.neuron)) k->c_z = *gain;
  return *k;
}

}  // namespace

learning_constants learning_constants_of(const plan& p, const built_network& b) {
  const auto& c = p.config;
  const network_plan& n = p.network;
  const bool spiking = b.net.at(b.recurrent).output() == output_kind::spikes;
  const models::learning_constants m = model_constants_of(p, b);
  const double kappa = n.readout_tau > 0 ? std::exp(-n.dt / n.readout_tau) : 0.0;
  const double f_target = c.train.f_target * n.dt * 1e-3;
  const double c_reg = spiking ? c.train.c_reg : 0.0;
  learning_constants k;
  auto& es = k.eprop;
  es.alpha = m.alpha;
  es.c_z = m.c_z;
  es.kappa = kappa;
  es.alpha_out = kappa;
  es.c_out = 1.0 - kappa;
  es.c_reg = c_reg;
  es.f_target = f_target;
  es.average_gradient = c.train.average_gradient;
  auto& bs = k.bptt;
  bs.alpha = m.alpha;
  bs.c_z = m.c_z;
  bs.v_th = m.v_th;
  bs.alpha_out = kappa;
  bs.c_out = 1.0 - kappa;
  bs.c_reg = c_reg;
  bs.f_target = f_target;
  bs.reset_gradient = c.train.reset_gradient;
  bs.average_gradient = c.train.average_gradient;
  if (m.beta.size() > 0) {  // alif
    es.rho = bs.rho = m.rho;
    es.beta = bs.beta = m.beta;
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
