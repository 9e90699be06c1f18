#pragma once
// The model registry: one descriptor per neuron model (the config's network.model value),
// declaring its parameters (default, valid range, unit, per neuron or not), its choices
// (reset mode, integrator, ...), its capabilities, its learning constants and a factory.
// Adding a model = its own files + one line in registry.cpp's table.
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"

namespace chaoschip::models {

enum class model_kind {
  rate,
  rate_ode,
  lif,
  alif,
  nir_lif,
  cuba_lif,
  if_neuron,
  integrator,
  li,
  cuba_li
};

// A numeric parameter (config key neuron.<name>). Its valid range is [lo, hi] with open
// ends where lo_open / hi_open; +-infinity for no bound.
struct parameter_spec {
  std::string_view name;
  double default_value;
  double lo, hi;
  bool lo_open, hi_open;
  std::string_view unit;  // "" for dimensionless; "time" = the unit of dt
  bool per_neuron;        // may be given as one value per neuron
  bool integer = false;
};

// A parameter chosen from a list of names (neuron.<name>).
struct choice_spec {
  std::string_view name;
  std::span<const std::string_view> allowed;  // the first is the default
};

struct capabilities {
  bool spiking = false;              // spike output (else graded)
  bool event_input = false;          // integrates each incoming spike on its own
  bool jacobian = false;             // tangent dynamics (Lyapunov spectra)
  bool eprop = false;                // e-prop in `run`
  bool bptt = false;                 // BPTT in `run`
  bool floss_local = false;          // local flossing (weight factors)
  bool floss_exact = false;          // exact flossing gradient
  bool continuous_coupling = false;  // integrates the recurrent coupling inside its ODE
};

// What e-prop and BPTT need of the lowered model.
struct learning_constants {
  double alpha = 0;      // state decay per step
  double c_z = 0;        // input gain
  double v_th = 1;       // the pseudo-derivative's normalisation
  double rho = 0;        // adaptation decay (alif)
  Eigen::VectorXd beta;  // adaptation strength per neuron (alif; empty otherwise)
};

// Values given for a model's parameters; missing ones take their defaults. A number is one
// value, or one per neuron for a per-neuron parameter.
struct parameter_values {
  std::map<std::string, Eigen::ArrayXd, std::less<>> numbers;
  std::map<std::string, std::string, std::less<>> choices;

  parameter_values& set(std::string name, double x);
  parameter_values& set(std::string name, Eigen::ArrayXd x);
  parameter_values& set(std::string name, std::string choice);
};

struct model_descriptor {
  model_kind kind;
  std::string_view name;
  std::string_view summary;
  std::span<const parameter_spec> parameters;
  std::span<const choice_spec> choices;
  capabilities can;
  // nullptr: no learning rule applies.
  learning_constants (*learning)(const parameter_values&, double dt, std::size_t n);
  std::unique_ptr<population> (*make)(const parameter_values&, double dt, std::size_t n);
  // network.model may name it (its parameters are [neuron] keys); the NIR models come
  // from graphs only.
  bool config_network = false;
};

std::span<const model_descriptor> model_registry() noexcept;
const model_descriptor& describe(model_kind kind);
// network.model value -> kind; parameter_error("network.model", name, "one of ...").
model_kind parse_model(std::string_view name);
std::string_view to_string(model_kind kind) noexcept;
std::string model_names();  // "\"rate\", \"rate_ode\", ..." for error messages
// The names network.model accepts (config_network), in registry order.
std::vector<std::string> config_model_names();

// Checks every given value against the descriptor (unknown names, ranges, per-neuron
// arrays, choices): parameter_error with the key neuron.<name>, the value and the range.
void validate(const model_descriptor& d, const parameter_values& values, std::size_t n);
// The value of a parameter (given or its default); a per-neuron one may have n values.
Eigen::ArrayXd value_of(const model_descriptor& d, const parameter_values& values,
                        std::string_view name);
double scalar_of(const model_descriptor& d, const parameter_values& values, std::string_view name);
std::string_view choice_of(const model_descriptor& d, const parameter_values& values,
                           std::string_view name);

// Validates and builds a population of n neurons of the model.
std::unique_ptr<population> make_population(model_kind kind, const parameter_values& values,
                                            double dt, std::size_t n);
// The learning constants; nullopt for models without e-prop or BPTT.
std::optional<learning_constants> learning_constants_of(model_kind kind,
                                                        const parameter_values& values, double dt,
                                                        std::size_t n);

}  // namespace chaoschip::models
