#include "chaoschip/models/registry.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <sstream>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/models/cuba_li.hpp"
#include "chaoschip/models/cuba_lif.hpp"
#include "chaoschip/models/if_neuron.hpp"
#include "chaoschip/models/li.hpp"
#include "chaoschip/models/lif.hpp"
#include "chaoschip/models/nir_integrator.hpp"
#include "chaoschip/models/nir_lif.hpp"
#include "chaoschip/models/rate.hpp"
#include "chaoschip/models/rate_ode.hpp"

namespace chaoschip::models {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

// Ranges: positive (0, inf), non-negative [0, inf), any finite value.
constexpr parameter_spec positive(std::string_view name, double x, std::string_view unit,
                                  bool per_neuron = false) {
  return {name, x, 0.0, inf, true, true, unit, per_neuron};
}
constexpr parameter_spec non_negative(std::string_view name, double x, std::string_view unit) {
  return {name, x, 0.0, inf, false, true, unit, false};
}
constexpr parameter_spec any(std::string_view name, double x, std::string_view unit,
                             bool per_neuron = false) {
  return {name, x, -inf, inf, true, true, unit, per_neuron};
}

constexpr std::array<std::string_view, 3> phi_names{"tanh", "relu", "linear"};
constexpr std::array<std::string_view, 2> ode_names{"dopri5", "rk4"};
constexpr std::array<std::string_view, 2> lif_reset_names{"subtract", "value"};
constexpr std::array<std::string_view, 2> bool_names{"false", "true"};
constexpr std::array<std::string_view, 2> nir_reset_names{"value", "subtract"};
constexpr std::array<std::string_view, 2> integrator_names{"exact", "euler"};

constexpr std::array rate_params{parameter_spec{"alpha", 1.0, 0.0, 1.0, true, false, "", false}};
constexpr std::array rate_choices{choice_spec{"phi", phi_names}};
constexpr std::array rate_ode_params{
    positive("tau_m", 30.0, "ms"), positive("ode_tol", 1e-8, ""),
    parameter_spec{"ode_substeps", 10.0, 1.0, inf, false, true, "", false, true}};
constexpr std::array rate_ode_choices{choice_spec{"phi", phi_names},
                                      choice_spec{"ode_method", ode_names}};
constexpr std::array lif_params{
    positive("tau_m", 30.0, "ms"), non_negative("tau_syn", 0.0, "ms"), positive("v_th", 0.03, ""),
    any("v_reset", 0.0, ""),       non_negative("t_ref", 0.0, "ms"),   positive("gamma", 0.3, "")};
constexpr std::array alif_params{
    positive("tau_m", 30.0, "ms"),
    non_negative("tau_syn", 0.0, "ms"),
    positive("v_th", 0.03, ""),
    any("v_reset", 0.0, ""),
    non_negative("t_ref", 0.0, "ms"),
    positive("gamma", 0.3, ""),
    positive("tau_a", 2000.0, "ms"),
    any("beta", 1.8, ""),
    parameter_spec{"n_adaptive", -1.0, -1.0, inf, false, true, "", false, true}};
constexpr std::array lif_choices{choice_spec{"reset", lif_reset_names},
                                 choice_spec{"regular_spike_arrival", bool_names}};
// NIR models: times in the unit of dt ("time"), every parameter per neuron but gamma.
constexpr std::array nir_lif_params{
    positive("tau", 10.0, "time", true), any("r", 1.0, "", true),
    any("v_leak", 0.0, "", true),        positive("v_threshold", 1.0, "", true),
    any("v_reset", 0.0, "", true),       positive("gamma", 0.3, "")};
constexpr std::array cuba_lif_params{positive("tau_syn", 5.0, "time", true),
                                     positive("tau_mem", 10.0, "time", true),
                                     any("r", 1.0, "", true),
                                     any("v_leak", 0.0, "", true),
                                     any("w_in", 1.0, "", true),
                                     positive("v_threshold", 1.0, "", true),
                                     any("v_reset", 0.0, "", true),
                                     positive("gamma", 0.3, "")};
constexpr std::array if_params{any("r", 1.0, "", true), positive("v_threshold", 1.0, "", true),
                               any("v_reset", 0.0, "", true), positive("gamma", 0.3, "")};
constexpr std::array integrator_params{any("r", 1.0, "", true)};
constexpr std::array li_params{positive("tau", 10.0, "time", true), any("r", 1.0, "", true),
                               any("v_leak", 0.0, "", true)};
constexpr std::array cuba_li_params{
    positive("tau_syn", 5.0, "time", true), positive("tau_mem", 10.0, "time", true),
    any("r", 1.0, "", true), any("v_leak", 0.0, "", true), any("w_in", 1.0, "", true)};
constexpr std::array spiking_nir_choices{choice_spec{"reset", nir_reset_names},
                                         choice_spec{"integrator", integrator_names}};
constexpr std::array if_choices{choice_spec{"reset", nir_reset_names}};
constexpr std::array graded_nir_choices{choice_spec{"integrator", integrator_names}};

const model_descriptor& descriptor_of(model_kind k);
std::string key(std::string_view name);

template <class Model>
std::unique_ptr<population> wrap(Model m, std::size_t n) {
  return std::make_unique<model_population<Model>>(std::move(m), n);
}

// Lowering: the descriptor's values into each model's parameters struct.
rate make_rate(const parameter_values& v, double dt) {
  const auto& d = descriptor_of(model_kind::rate);
  return rate({.alpha = scalar_of(d, v, "alpha"), .phi = parse_activation(choice_of(d, v, "phi"))},
              dt);
}
rate_ode make_rate_ode(const parameter_values& v, double dt) {
  const auto& d = descriptor_of(model_kind::rate_ode);
  return rate_ode(
      {.tau = scalar_of(d, v, "tau_m"),
       .phi = parse_activation(choice_of(d, v, "phi")),
       .method = choice_of(d, v, "ode_method") == "rk4" ? ode_method::rk4 : ode_method::dopri5,
       .tol = scalar_of(d, v, "ode_tol"),
       .substeps = static_cast<int>(scalar_of(d, v, "ode_substeps"))},
      dt);
}
lif make_lif(const parameter_values& v, double dt, bool adaptive) {
  const auto& d = descriptor_of(adaptive ? model_kind::alif : model_kind::lif);
  lif_parameters p{
      .tau_m = scalar_of(d, v, "tau_m"),
      .tau_syn = scalar_of(d, v, "tau_syn"),
      .v_th = scalar_of(d, v, "v_th"),
      .v_reset = scalar_of(d, v, "v_reset"),
      .t_ref = scalar_of(d, v, "t_ref"),
      .gamma = scalar_of(d, v, "gamma"),
      .reset = choice_of(d, v, "reset") == "value" ? reset_mode::value : reset_mode::subtract,
      .regular_spike_arrival = choice_of(d, v, "regular_spike_arrival") == "true",
      .adaptive = adaptive};
  if (adaptive) {
    p.tau_a = scalar_of(d, v, "tau_a");
    p.beta = scalar_of(d, v, "beta");
    p.n_adaptive = static_cast<std::int64_t>(scalar_of(d, v, "n_adaptive"));
  }
  return lif(p, dt);
}
nir::threshold_parameters threshold_of(const model_descriptor& d, const parameter_values& v) {
  return {
      .v_threshold = value_of(d, v, "v_threshold"),
      .v_reset = value_of(d, v, "v_reset"),
      .reset = choice_of(d, v, "reset") == "subtract" ? reset_mode::subtract : reset_mode::value,
      .gamma = scalar_of(d, v, "gamma")};
}
integrator scheme_of(const model_descriptor& d, const parameter_values& v) {
  return choice_of(d, v, "integrator") == "euler" ? integrator::euler : integrator::exact;
}
nir::cuba_parameters cuba_of(const model_descriptor& d, const parameter_values& v) {
  return {.tau_syn = value_of(d, v, "tau_syn"),
          .tau_mem = value_of(d, v, "tau_mem"),
          .r = value_of(d, v, "r"),
          .v_leak = value_of(d, v, "v_leak"),
          .w_in = value_of(d, v, "w_in")};
}

learning_constants decay_and_gain(double alpha, double c_z) {
  learning_constants c;
  c.alpha = alpha;
  c.c_z = c_z;
  return c;
}

learning_constants lif_learning(const parameter_values& v, double dt, std::size_t n,
                                bool adaptive) {
  const lif m = make_lif(v, dt, adaptive);
  learning_constants c = decay_and_gain(m.alpha(), m.c_in());
  c.v_th = m.params().v_th;
  if (adaptive) {
    c.rho = m.rho();
    c.beta.resize(static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i) c.beta[static_cast<Eigen::Index>(i)] = m.beta_of(i, n);
  }
  return c;
}

// Factories and learning constants, one pair per model.
using values = parameter_values;
using pop_ptr = std::unique_ptr<population>;

pop_ptr make_rate_pop(const values& v, double dt, std::size_t n) {
  return wrap(make_rate(v, dt), n);
}
learning_constants rate_learning(const values& v, double dt, std::size_t) {
  const double a = make_rate(v, dt).params().alpha;
  return decay_and_gain(1.0 - a, a);
}
pop_ptr make_rate_ode_pop(const values& v, double dt, std::size_t n) {
  return wrap(make_rate_ode(v, dt), n);
}
learning_constants rate_ode_learning(const values& v, double dt, std::size_t) {
  // The exponential-Euler map of one step (docs/learning.md).
  const double a = std::exp(-dt / make_rate_ode(v, dt).params().tau);
  return decay_and_gain(a, 1.0 - a);
}
pop_ptr make_lif_pop(const values& v, double dt, std::size_t n) {
  return wrap(make_lif(v, dt, false), n);
}
learning_constants plain_lif_learning(const values& v, double dt, std::size_t n) {
  return lif_learning(v, dt, n, false);
}
pop_ptr make_alif_pop(const values& v, double dt, std::size_t n) {
  return wrap(make_lif(v, dt, true), n);
}
learning_constants alif_learning(const values& v, double dt, std::size_t n) {
  return lif_learning(v, dt, n, true);
}
pop_ptr make_nir_lif_pop(const values& v, double dt, std::size_t n) {
  const auto& d = descriptor_of(model_kind::nir_lif);
  return wrap(nir_lif({.tau = value_of(d, v, "tau"),
                       .r = value_of(d, v, "r"),
                       .v_leak = value_of(d, v, "v_leak"),
                       .threshold = threshold_of(d, v),
                       .scheme = scheme_of(d, v)},
                      dt),
              n);
}
// NIR's LIF with e-prop's neglect of the reset: v_t = a v_{t-1} + c + k I_t is lif's
// membrane with alpha = a, c_z = k, v_th = v_threshold (scalars: homogeneous parameters).
learning_constants nir_lif_learning(const values& v, double dt, std::size_t) {
  const auto& d = descriptor_of(model_kind::nir_lif);
  for (const char* name : {"tau", "r", "v_threshold"})
    if (const Eigen::ArrayXd x = value_of(d, v, name); x.size() != 1 && (x != x[0]).any())
      throw parameter_error(key(name), "[" + std::to_string(x.size()) + " values]",
                            "one value for all neurons for e-prop and BPTT");
  const auto prop =
      nir::lower_leaky(value_of(d, v, "tau").head(1), value_of(d, v, "v_leak").head(1),
                       value_of(d, v, "r").head(1), dt, scheme_of(d, v));
  learning_constants c = decay_and_gain(prop.a[0], prop.k[0]);
  c.v_th = value_of(d, v, "v_threshold")[0];
  return c;
}
pop_ptr make_cuba_lif_pop(const values& v, double dt, std::size_t n) {
  const auto& d = descriptor_of(model_kind::cuba_lif);
  return wrap(
      cuba_lif({.cuba = cuba_of(d, v), .threshold = threshold_of(d, v), .scheme = scheme_of(d, v)},
               dt),
      n);
}
pop_ptr make_if_pop(const values& v, double dt, std::size_t n) {
  const auto& d = descriptor_of(model_kind::if_neuron);
  return wrap(if_neuron({.r = value_of(d, v, "r"), .threshold = threshold_of(d, v)}, dt), n);
}
pop_ptr make_integrator_pop(const values& v, double dt, std::size_t n) {
  const auto& d = descriptor_of(model_kind::integrator);
  return wrap(nir_integrator({.r = value_of(d, v, "r")}, dt), n);
}
pop_ptr make_li_pop(const values& v, double dt, std::size_t n) {
  const auto& d = descriptor_of(model_kind::li);
  return wrap(li({.tau = value_of(d, v, "tau"),
                  .r = value_of(d, v, "r"),
                  .v_leak = value_of(d, v, "v_leak"),
                  .scheme = scheme_of(d, v)},
                 dt),
              n);
}
pop_ptr make_cuba_li_pop(const values& v, double dt, std::size_t n) {
  const auto& d = descriptor_of(model_kind::cuba_li);
  return wrap(cuba_li({.cuba = cuba_of(d, v), .scheme = scheme_of(d, v)}, dt), n);
}

constexpr capabilities rate_can{
    .jacobian = true, .eprop = true, .bptt = true, .floss_local = true, .floss_exact = true};
constexpr capabilities rate_ode_can{
    .jacobian = true, .eprop = true, .floss_local = true, .continuous_coupling = true};
constexpr capabilities lif_can{
    .spiking = true, .jacobian = true, .eprop = true, .bptt = true, .floss_local = true};
constexpr capabilities nir_spiking_can{.spiking = true, .jacobian = true, .floss_local = true};
constexpr capabilities nir_lif_can{
    .spiking = true, .jacobian = true, .eprop = true, .bptt = true, .floss_local = true};
constexpr capabilities nir_graded_can{.jacobian = true, .floss_local = true};

// The registry: one line per model.
// clang-format off
const std::array<model_descriptor, 10>& table() {
  static const std::array<model_descriptor, 10> t{{
    {model_kind::rate, "rate", "leaky rate map h <- (1 - alpha) h + alpha input, r = phi(h)", rate_params, rate_choices, rate_can, rate_learning, make_rate_pop, true},
    {model_kind::rate_ode, "rate_ode", "tau dh/dt = -h + W phi(h) + u (Boost.Odeint)", rate_ode_params, rate_ode_choices, rate_ode_can, rate_ode_learning, make_rate_ode_pop, true},
    {model_kind::lif, "lif", "leaky integrate-and-fire (delta or exponential synapses)", lif_params, lif_choices, lif_can, plain_lif_learning, make_lif_pop, true},
    {model_kind::alif, "alif", "lif with an adaptive threshold", alif_params, lif_choices, lif_can, alif_learning, make_alif_pop, true},
    {model_kind::nir_lif, "nir_lif", "NIR LIF: tau dv/dt = v_leak - v + r I", nir_lif_params, spiking_nir_choices, nir_lif_can, nir_lif_learning, make_nir_lif_pop},
    {model_kind::cuba_lif, "cuba_lif", "NIR CubaLIF: tau_syn di/dt = -i + w_in I, tau_mem dv/dt = v_leak - v + r i", cuba_lif_params, spiking_nir_choices, nir_spiking_can, nullptr, make_cuba_lif_pop},
    {model_kind::if_neuron, "if_neuron", "NIR IF: dv/dt = r I", if_params, if_choices, nir_spiking_can, nullptr, make_if_pop},
    {model_kind::integrator, "integrator", "NIR I: dv/dt = r I, graded output v", integrator_params, {}, nir_graded_can, nullptr, make_integrator_pop},
    {model_kind::li, "li", "NIR LI: tau dv/dt = v_leak - v + r I, graded output v", li_params, graded_nir_choices, nir_graded_can, nullptr, make_li_pop},
    {model_kind::cuba_li, "cuba_li", "NIR CubaLI: CubaLIF without threshold, graded output v", cuba_li_params, graded_nir_choices, nir_graded_can, nullptr, make_cuba_li_pop},
  }};
  return t;
}
// clang-format on

const model_descriptor& descriptor_of(model_kind k) {
  for (const auto& d : table())
    if (d.kind == k) return d;
  throw error("model registry: no descriptor for a model kind");
}

std::string show(double x) {
  std::ostringstream os;
  os.precision(17);
  os << x;
  return os.str();
}

std::string expected_of(const parameter_spec& p) {
  const std::string what = p.integer ? "an integer" : "a number";
  if (std::isinf(p.lo) && std::isinf(p.hi)) return p.integer ? "an integer" : "a finite number";
  if (std::isinf(p.hi)) return what + (p.lo_open ? " > " : " >= ") + show(p.lo);
  if (std::isinf(p.lo)) return what + (p.hi_open ? " < " : " <= ") + show(p.hi);
  return what + " in " + (p.lo_open ? "(" : "[") + show(p.lo) + ", " + show(p.hi) +
         (p.hi_open ? ")" : "]");
}

bool in_range(const parameter_spec& p, double x) {
  if (!std::isfinite(x)) return false;
  if (p.integer && x != std::trunc(x)) return false;
  const bool lo_ok = p.lo_open ? x > p.lo : x >= p.lo;
  const bool hi_ok = p.hi_open ? x < p.hi : x <= p.hi;
  return lo_ok && hi_ok;
}

const parameter_spec* find_parameter(const model_descriptor& d, std::string_view name) {
  for (const auto& p : d.parameters)
    if (p.name == name) return &p;
  return nullptr;
}
const choice_spec* find_choice(const model_descriptor& d, std::string_view name) {
  for (const auto& c : d.choices)
    if (c.name == name) return &c;
  return nullptr;
}

std::string names_of(const model_descriptor& d) {
  std::string s;
  for (const auto& p : d.parameters) s += (s.empty() ? "" : ", ") + std::string(p.name);
  for (const auto& c : d.choices) s += (s.empty() ? "" : ", ") + std::string(c.name);
  return s;
}

std::string key(std::string_view name) {
  return "neuron." + std::string(name);
}

}  // namespace

parameter_values& parameter_values::set(std::string name, double x) {
  numbers[std::move(name)] = Eigen::ArrayXd::Constant(1, x);
  return *this;
}
parameter_values& parameter_values::set(std::string name, Eigen::ArrayXd x) {
  numbers[std::move(name)] = std::move(x);
  return *this;
}
parameter_values& parameter_values::set(std::string name, std::string choice) {
  choices[std::move(name)] = std::move(choice);
  return *this;
}

std::span<const model_descriptor> model_registry() noexcept {
  return table();
}
const model_descriptor& describe(model_kind kind) {
  return descriptor_of(kind);
}

std::string model_names() {
  std::string s;
  for (const auto& d : table()) s += (s.empty() ? "\"" : ", \"") + std::string(d.name) + "\"";
  return s;
}

std::vector<std::string> config_model_names() {
  std::vector<std::string> out;
  for (const auto& d : table())
    if (d.config_network) out.emplace_back(d.name);
  return out;
}

model_kind parse_model(std::string_view name) {
  for (const auto& d : table())
    if (d.name == name) return d.kind;
  throw parameter_error("network.model", std::string(name), "one of " + model_names());
}

std::string_view to_string(model_kind kind) noexcept {
  for (const auto& d : table())
    if (d.kind == kind) return d.name;
  return "?";
}

void validate(const model_descriptor& d, const parameter_values& values, std::size_t n) {
  for (const auto& [name, x] : values.numbers) {
    const auto* p = find_parameter(d, name);
    if (!p)
      throw parameter_error(key(name), x.size() == 1 ? show(x[0]) : "[...]",
                            "a parameter of " + std::string(d.name) + ": " + names_of(d));
    const bool size_ok =
        x.size() == 1 || (p->per_neuron && static_cast<std::size_t>(x.size()) == n);
    if (!size_ok)
      throw parameter_error(
          key(name), std::to_string(x.size()) + " values",
          p->per_neuron ? "one value, or one per neuron (" + std::to_string(n) + ")" : "one value");
    for (Eigen::Index i = 0; i < x.size(); ++i)
      if (!in_range(*p, x[i])) throw parameter_error(key(name), show(x[i]), expected_of(*p));
  }
  for (const auto& [name, choice] : values.choices) {
    const auto* c = find_choice(d, name);
    if (!c)
      throw parameter_error(key(name), choice,
                            "a parameter of " + std::string(d.name) + ": " + names_of(d));
    bool ok = false;
    std::string allowed;
    for (auto a : c->allowed) {
      ok = ok || a == choice;
      allowed += (allowed.empty() ? "\"" : ", \"") + std::string(a) + "\"";
    }
    if (!ok) throw parameter_error(key(name), choice, "one of " + allowed);
  }
}

Eigen::ArrayXd value_of(const model_descriptor& d, const parameter_values& values,
                        std::string_view name) {
  if (auto it = values.numbers.find(name); it != values.numbers.end()) return it->second;
  const auto* p = find_parameter(d, name);
  if (!p)
    throw error("model registry: " + std::string(d.name) + " has no parameter " +
                std::string(name));
  return Eigen::ArrayXd::Constant(1, p->default_value);
}

double scalar_of(const model_descriptor& d, const parameter_values& values, std::string_view name) {
  return value_of(d, values, name)[0];
}

std::string_view choice_of(const model_descriptor& d, const parameter_values& values,
                           std::string_view name) {
  if (auto it = values.choices.find(name); it != values.choices.end()) return it->second;
  const auto* c = find_choice(d, name);
  if (!c)
    throw error("model registry: " + std::string(d.name) + " has no choice " + std::string(name));
  return c->allowed.front();
}

std::unique_ptr<population> make_population(model_kind kind, const parameter_values& values,
                                            double dt, std::size_t n) {
  const auto& d = descriptor_of(kind);
  validate(d, values, n);
  return d.make(values, dt, n);
}

std::optional<learning_constants> learning_constants_of(model_kind kind,
                                                        const parameter_values& values, double dt,
                                                        std::size_t n) {
  const auto& d = descriptor_of(kind);
  if (!d.learning) return std::nullopt;
  validate(d, values, n);
  return d.learning(values, dt, n);
}

}  // namespace chaoschip::models
