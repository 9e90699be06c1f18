#include "chaoschip/experiment/model_binding.hpp"

#include <string_view>

namespace chaoschip::experiment {

namespace {

// The `[neuron]` keys, by the registry's parameter names. A model declares which of them it
// takes; a key it does not declare is not passed to it.
struct number_key {
  std::string_view name;
  double (*get)(const io::neuron_config&);
};
struct choice_key {
  std::string_view name;
  std::string (*get)(const io::neuron_config&);
};

constexpr number_key number_keys[] = {
    {"tau_m", [](const io::neuron_config& n) { return n.tau_m; }},
    {"tau_syn", [](const io::neuron_config& n) { return n.tau_syn; }},
    {"v_th", [](const io::neuron_config& n) { return n.v_th; }},
    {"v_reset", [](const io::neuron_config& n) { return n.v_reset; }},
    {"t_ref", [](const io::neuron_config& n) { return n.t_ref; }},
    {"gamma", [](const io::neuron_config& n) { return n.gamma; }},
    {"tau_a", [](const io::neuron_config& n) { return n.tau_a; }},
    {"beta", [](const io::neuron_config& n) { return n.beta; }},
    {"n_adaptive", [](const io::neuron_config& n) { return static_cast<double>(n.n_adaptive); }},
    {"alpha", [](const io::neuron_config& n) { return n.alpha; }},
    {"ode_tol", [](const io::neuron_config& n) { return n.ode_tol; }},
    {"ode_substeps",
     [](const io::neuron_config& n) { return static_cast<double>(n.ode_substeps); }},
};
const choice_key choice_keys[] = {
    {"phi", [](const io::neuron_config& n) { return n.phi; }},
    {"reset", [](const io::neuron_config& n) { return n.reset; }},
    {"ode_method", [](const io::neuron_config& n) { return n.ode_method; }},
    {"regular_spike_arrival",
     [](const io::neuron_config& n) {
       return std::string(n.regular_spike_arrival ? "true" : "false");
     }},
};

}  // namespace

models::model_kind model_of(const io::run_config& config) {
  return models::parse_model(config.network.model);
}

const models::capabilities& capabilities_of(const io::run_config& config) {
  return models::describe(model_of(config)).can;
}

models::parameter_values neuron_values(const io::neuron_config& neuron, models::model_kind kind) {
  const auto& d = models::describe(kind);
  models::parameter_values v;
  for (const auto& p : d.parameters)
    for (const auto& key : number_keys)
      if (key.name == p.name) v.set(std::string(p.name), key.get(neuron));
  for (const auto& ch : d.choices)
    for (const auto& key : choice_keys)
      if (key.name == ch.name) v.set(std::string(ch.name), key.get(neuron));
  return v;
}

std::unique_ptr<population> make_recurrent(const io::run_config& config) {
  const auto kind = model_of(config);
  return models::make_population(kind, neuron_values(config.neuron, kind), config.network.dt,
                                 static_cast<std::size_t>(config.network.n_rec));
}

}  // namespace chaoschip::experiment
