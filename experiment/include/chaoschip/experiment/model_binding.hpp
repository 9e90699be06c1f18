#pragma once
// The `[neuron]` section bound to the model registry: the recurrent model of a config as a
// registry kind, its capabilities, and the registry's parameter values taken from the
// config's keys (each registry parameter is the key neuron.<name>).
#include <memory>

#include "chaoschip/core/population.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/models/registry.hpp"

namespace chaoschip::experiment {

// network.model through the registry (parameter_error naming the key when unknown).
models::model_kind model_of(const io::run_config& config);
const models::capabilities& capabilities_of(const io::run_config& config);
// The values of the model's parameters and choices that `[neuron]` sets.
models::parameter_values neuron_values(const io::neuron_config& neuron, models::model_kind kind);
// The recurrent population of n_rec neurons, built by the registry's factory.
std::unique_ptr<population> make_recurrent(const io::run_config& config);

}  // namespace chaoschip::experiment
