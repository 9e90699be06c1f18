#include "chaoschip/io/config.hpp"
#include "chaoschip/io/chip.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <type_traits>
#include <utility>
#include <variant>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/paths.hpp"

#if !TOML_EXCEPTIONS
#error "config.cpp reports TOML syntax errors through toml::parse_error (needs TOML_EXCEPTIONS)"
#endif

namespace chaoschip::io {

namespace {

using string_list = std::vector<std::string>;

// Where --set values come from; also the source name given to toml++ when parsing them.
constexpr std::string_view k_set_location = "--set";
constexpr std::int64_t k_max_neurons = 10'000'000;
constexpr std::int64_t k_no_limit = std::numeric_limits<std::int64_t>::max();

// ---------------------------------------------------------------------------------------
// Formatting values as TOML text (for to_toml and for error messages).

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(u));
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

// fmt prints the shortest text that reads back as the same double (toml++'s own printer
// does not: 0.1 -> 0.10000000000000001); TOML floats need a '.' or an exponent.
std::string format_value(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}
std::string format_value(std::int64_t i) {
  return std::to_string(i);
}
std::string format_value(bool b) {
  return b ? "true" : "false";
}
std::string format_value(const std::string& s) {
  return quote(s);
}
std::string format_value(const string_list& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + quote(list[i]);
  return out + "]";
}

// A parsed node as the user wrote it (near enough), for "got ..." in messages.
std::string node_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return quote(s->get());
  if (const auto* i = node.as_integer()) return format_value(i->get());
  if (const auto* d = node.as_floating_point()) return format_value(d->get());
  if (const auto* b = node.as_boolean()) return format_value(b->get());
  if (const auto* a = node.as_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < a->size(); ++i) out += (i ? ", " : "") + node_text(*a->get(i));
    return out + "]";
  }
  if (node.is_table()) return "a table";
  std::ostringstream os;  // dates and times
  node.visit([&os](const auto& v) { os << v; });
  return os.str();
}

// "line N of SOURCE" for nodes read from the config text; "--set" for overrides (nodes
// parsed from a --set value, or tables created to hold one, which have no source).
std::string location_of(const toml::node& node) {
  const auto& src = node.source();
  if (!src.path || *src.path == k_set_location) return std::string(k_set_location);
  return fmt::format("line {} of {}", src.begin.line, *src.path);
}

// ---------------------------------------------------------------------------------------
// The schema: one entry per key, in the order of the structs.

// A rule returns "" when the value is allowed, else what is allowed (for the message).
// It sees the whole config for cross-field limits; keys are checked in schema order, so
// keys a rule depends on have already been validated.
template <class T>
using rule = std::function<std::string(const T&, const run_config&)>;

template <class T>
struct field {
  std::function<T&(run_config&)> get;
  rule<T> check;
};

using any_field = std::variant<field<std::int64_t>, field<double>, field<bool>, field<std::string>,
                               field<string_list>>;

struct key_spec {
  std::string key;  // full dotted path
  any_field value;
  // Cross-field rules: the key whose location to report when this one was not given.
  std::string blame;
  // Chip profile fields: unset (-1 or "") unless given, so checked only when given.
  bool optional = false;
};

template <class T>
std::string type_name() {
  if constexpr (std::is_same_v<T, std::int64_t>) return "an integer";
  if constexpr (std::is_same_v<T, double>) return "a number";
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (std::is_same_v<T, string_list>) return "an array of strings";
}

rule<std::int64_t> int_range(std::int64_t lo, std::int64_t hi = k_no_limit) {
  std::string expected = hi == k_no_limit ? fmt::format("an integer >= {}", lo)
                                          : fmt::format("an integer in [{}, {}]", lo, hi);
  return [lo, hi, expected](const std::int64_t& v, const run_config&) {
    return v < lo || v > hi ? expected : std::string();
  };
}

struct bound {
  double value;
  bool open;
};

// Finite doubles within optional bounds (open or closed on each side).
rule<double> real(std::optional<bound> lo = {}, std::optional<bound> hi = {}) {
  std::string expected;
  if (lo && hi) {
    expected = fmt::format("a number in {}{}, {}{}", lo->open ? '(' : '[', lo->value, hi->value,
                           hi->open ? ')' : ']');
  } else if (lo) {
    expected = fmt::format("a finite number {} {}", lo->open ? ">" : ">=", lo->value);
  } else {
    expected = "a finite number";
  }
  return [lo, hi, expected](const double& v, const run_config&) {
    const bool ok = std::isfinite(v) && (!lo || (lo->open ? v > lo->value : v >= lo->value)) &&
                    (!hi || (hi->open ? v < hi->value : v <= hi->value));
    return ok ? std::string() : expected;
  };
}
// 0 (float) or [lo, hi]: the bit widths of chip profile fields.
rule<std::int64_t> zero_or_range(std::int64_t lo, std::int64_t hi) {
  std::string expected = fmt::format("0 (float) or an integer in [{}, {}]", lo, hi);
  return [lo, hi, expected](const std::int64_t& v, const run_config&) {
    return v == 0 || (v >= lo && v <= hi) ? std::string() : expected;
  };
}

rule<double> positive() {
  return real(bound{0.0, true});
}
rule<double> non_negative() {
  return real(bound{0.0, false});
}

std::string choices(const string_list& allowed) {
  std::string out;
  for (std::size_t i = 0; i < allowed.size(); ++i) out += (i ? ", " : "") + quote(allowed[i]);
  return out;
}

rule<std::string> one_of(string_list allowed) {
  std::string expected = "one of " + choices(allowed);
  return [allowed = std::move(allowed), expected](const std::string& v, const run_config&) {
    for (const auto& a : allowed)
      if (v == a) return std::string();
    return expected;
  };
}

rule<std::string> non_empty() {
  return [](const std::string& v, const run_config&) {
    return v.empty() ? std::string("a non-empty string") : std::string();
  };
}

template <class T>
rule<T> anything() {
  return [](const T&, const run_config&) { return std::string(); };
}

// A path that must be given when another key selects "file".
rule<std::string> needed_when_file(std::string selector,
                                   std::function<const std::string&(const run_config&)> get) {
  std::string expected = fmt::format("a non-empty path (required when {} = \"file\")", selector);
  return [get = std::move(get), expected](const std::string& v, const run_config& c) {
    return get(c) == "file" && v.empty() ? expected : std::string();
  };
}

// Keys of one section, added in struct order.
template <class S>
class section {
 public:
  section(std::vector<key_spec>& out, std::string name, S run_config::*member)
      : out_(out), name_(std::move(name)), member_(member) {}

  template <class T>
  section& add(std::string_view key, T S::*m, std::type_identity_t<rule<T>> check,
               std::string blame = {}) {
    auto sec = member_;
    out_.push_back(
        {name_ + "." + std::string(key),
         field<T>{[sec, m](run_config& c) -> T& { return (c.*sec).*m; }, std::move(check)},
         std::move(blame)});
    return *this;
  }

 private:
  std::vector<key_spec>& out_;
  std::string name_;
  S run_config::*member_;
};

std::vector<key_spec> make_schema() {
  std::vector<key_spec> s;
  s.push_back(
      {"seed",
       field<std::int64_t>{[](run_config& c) -> std::int64_t& { return c.seed; }, int_range(0)},
       {}});

  section<network_config>(s, "network", &run_config::network)
      .add("model", &network_config::model, one_of({"rate", "rate_ode", "lif", "alif"}))
      .add("n_in", &network_config::n_in, int_range(1, k_max_neurons))
      .add("n_rec", &network_config::n_rec, int_range(1, k_max_neurons))
      .add("n_out", &network_config::n_out, int_range(1, k_max_neurons))
      .add("gain", &network_config::gain, non_negative())
      .add("init", &network_config::init, one_of({"gaussian", "orthogonal", "file"}))
      .add("autapses", &network_config::autapses, anything<bool>())
      .add("dt", &network_config::dt, positive())
      .add(
          "file", &network_config::file,
          [](const std::string& v, const run_config& c) {
            if (!v.empty()) return std::string();
            if (c.network.source == "nir")
              return std::string("a non-empty path (the .nir graph, network.source = \"nir\")");
            return c.network.init == "file"
                       ? std::string("a non-empty path (required when network.init = \"file\")")
                       : std::string();
          },
          "network.init")
      .add("delay_rec", &network_config::delay_rec, int_range(1, 1000))
      .add("connectivity", &network_config::connectivity, one_of({"dense", "sparse"}))
      .add("input_gain", &network_config::input_gain, non_negative())
      .add("source", &network_config::source, one_of({"config", "nir"}));

  section<neuron_config>(s, "neuron", &run_config::neuron)
      .add("tau_m", &neuron_config::tau_m, positive())
      .add("v_th", &neuron_config::v_th, positive())
      .add("t_ref", &neuron_config::t_ref, non_negative())
      .add("gamma", &neuron_config::gamma, positive())
      .add("tau_a", &neuron_config::tau_a, positive())
      .add("beta", &neuron_config::beta, real())
      .add("n_adaptive", &neuron_config::n_adaptive,
           [](const std::int64_t& v, const run_config& c) {
             return v == -1 || (v >= 0 && v <= c.network.n_rec)
                        ? std::string()
                        : fmt::format("-1 (all) or an integer in [0, network.n_rec = {}]",
                                      c.network.n_rec);
           })
      .add("regular_spike_arrival", &neuron_config::regular_spike_arrival, anything<bool>())
      .add("alpha", &neuron_config::alpha, real(bound{0.0, true}, bound{1.0, false}))
      .add("phi", &neuron_config::phi, one_of({"tanh", "relu", "linear"}))
      .add("tau_syn", &neuron_config::tau_syn, non_negative())
      .add("reset", &neuron_config::reset, one_of({"subtract", "value"}))
      .add("v_reset", &neuron_config::v_reset,
           [](const double& v, const run_config& c) {
             return std::isfinite(v) && v < c.neuron.v_th
                        ? std::string()
                        : fmt::format("a finite number < neuron.v_th = {}",
                                      format_value(c.neuron.v_th));
           })
      .add("ode_method", &neuron_config::ode_method, one_of({"dopri5", "rk4"}))
      .add("ode_tol", &neuron_config::ode_tol, real(bound{0.0, true}, bound{1e-2, false}))
      .add("ode_substeps", &neuron_config::ode_substeps, int_range(1));

  section<readout_config>(s, "readout", &run_config::readout)
      .add("tau", &readout_config::tau, non_negative())
      .add("loss", &readout_config::loss, one_of({"mse", "cross_entropy"}));

  // Any name or path here; resolve_chip checks it and fills the unset fields. The ranges
  // are those of neuromorphic::validate, which checks the resolved profile again.
  const auto roundings = string_list{"nearest", "toward_zero", "floor", "stochastic"};
  section<chip_config>(s, "chip", &run_config::chip)
      .add("profile", &chip_config::profile, non_empty())
      .add("kernel", &chip_config::kernel, one_of({"float64", "fixed", "loihi", "xylo"}))
      .add("weight_bits", &chip_config::weight_bits, zero_or_range(2, 32))
      .add("quantizer", &chip_config::quantizer,
           one_of({"none", "per_tensor", "per_row", "shift", "lava", "rockpool_global",
                   "rockpool_channel"}))
      .add("state_bits", &chip_config::state_bits, zero_or_range(4, 48))
      .add("state_frac_bits", &chip_config::state_frac_bits, int_range(0, 47))
      .add("trace_bits", &chip_config::trace_bits, zero_or_range(2, 32))
      .add("trace_frac_bits", &chip_config::trace_frac_bits, int_range(0, 32))
      .add("decay_bits", &chip_config::decay_bits, int_range(0, 40))
      .add("rounding", &chip_config::rounding, one_of(roundings))
      .add("state_rounding", &chip_config::state_rounding, one_of(roundings))
      .add("update_rounding", &chip_config::update_rounding, one_of(roundings))
      .add("update_mode", &chip_config::update_mode, one_of({"direct", "shadow"}))
      .add("overflow", &chip_config::overflow, one_of({"wrap", "saturate"}))
      .add("accumulator_bits", &chip_config::accumulator_bits, int_range(0, 48))
      .add("max_spikes", &chip_config::max_spikes, int_range(1, 1024));
  for (auto& k : s) k.optional = k.key.starts_with("chip.") && k.key != "chip.profile";

  section<task_config>(s, "task", &run_config::task)
      .add("name", &task_config::name,
           one_of({"sine", "evidence", "delayed_xor", "copy", "decision", "dms", "file", "none"}))
      .add("file", &task_config::file,
           needed_when_file("task.name",
                            [](const run_config& c) -> const std::string& { return c.task.name; }),
           "task.name")
      .add("steps", &task_config::steps, int_range(1))
      .add("input_rate", &task_config::input_rate, non_negative())
      .add("delay", &task_config::delay, int_range(0))
      .add("coherence", &task_config::coherence, real(bound{0.0, false}, bound{1.0, false}));

  section<train_config>(s, "train", &run_config::train)
      .add("rule", &train_config::rule, one_of({"eprop", "bptt", "none"}))
      .add("variant", &train_config::variant, one_of({"default", "nest_bsshslm_2020"}))
      .add("feedback", &train_config::feedback, one_of({"symmetric", "random"}))
      .add("optimizer", &train_config::optimizer, one_of({"sgd", "adam"}))
      .add("eta", &train_config::eta, non_negative())
      .add("adam_beta1", &train_config::adam_beta1, real(bound{0.0, false}, bound{1.0, true}))
      .add("adam_beta2", &train_config::adam_beta2, real(bound{0.0, false}, bound{1.0, true}))
      .add("adam_epsilon", &train_config::adam_epsilon, positive())
      .add("iterations", &train_config::iterations, int_range(0))
      .add("batch", &train_config::batch, int_range(1))
      .add("c_reg", &train_config::c_reg, non_negative())
      .add("f_target", &train_config::f_target, non_negative())
      .add("average_gradient", &train_config::average_gradient, anything<bool>())
      .add("momentum", &train_config::momentum, real(bound{0.0, false}, bound{1.0, true}))
      .add("reset_gradient", &train_config::reset_gradient, anything<bool>())
      .add("w_min", &train_config::w_min, real())
      .add("w_max", &train_config::w_max,
           [](const double& v, const run_config& c) {
             return std::isfinite(v) && v > c.train.w_min
                        ? std::string()
                        : fmt::format("a finite number > train.w_min = {}",
                                      format_value(c.train.w_min));
           })
      .add("checkpoint_every", &train_config::checkpoint_every, int_range(0));

  section<floss_config>(s, "floss", &run_config::floss)
      .add("enabled", &floss_config::enabled, anything<bool>())
      .add("variant", &floss_config::variant, one_of({"bptt", "local"}))
      .add("k", &floss_config::k,
           [](const std::int64_t& v, const run_config& c) {
             return v >= 1 && v <= c.network.n_rec
                        ? std::string()
                        : fmt::format("an integer in [1, network.n_rec = {}]", c.network.n_rec);
           })
      .add("target", &floss_config::target, real())
      .add("pre_epochs", &floss_config::pre_epochs, int_range(0))
      .add("every", &floss_config::every, int_range(0))
      .add("epochs", &floss_config::epochs, int_range(0))
      .add("warmup", &floss_config::warmup, int_range(0))
      .add("steps", &floss_config::steps, int_range(1))
      .add("eta", &floss_config::eta, non_negative())
      .add("batch", &floss_config::batch, int_range(1));

  section<lyapunov_config>(s, "lyapunov", &run_config::lyapunov)
      .add("k", &lyapunov_config::k,
           [](const std::int64_t& v, const run_config& c) {
             // alif has two state variables per neuron, so up to 2 n_rec exponents.
             return v >= 1 && v <= 2 * c.network.n_rec
                        ? std::string()
                        : fmt::format("an integer in [1, 2 * network.n_rec = {}]",
                                      2 * c.network.n_rec);
           })
      .add("steps", &lyapunov_config::steps, int_range(1))
      .add("warmup", &lyapunov_config::warmup, int_range(0))
      .add("ons_interval", &lyapunov_config::ons_interval, int_range(1))
      .add("when", &lyapunov_config::when,
           [](const string_list& v, const run_config&) {
             const string_list allowed = {"before", "after"};
             const std::string expected = "an array of distinct values from " + choices(allowed);
             for (std::size_t i = 0; i < v.size(); ++i) {
               if (v[i] != allowed[0] && v[i] != allowed[1]) return expected;
               for (std::size_t j = 0; j < i; ++j)
                 if (v[i] == v[j]) return expected;
             }
             return std::string();
           })
      .add("checkpoints", &lyapunov_config::checkpoints, int_range(1))
      .add("input", &lyapunov_config::input, one_of({"task", "none"}))
      .add("initial_scale", &lyapunov_config::initial_scale, non_negative())
      .add("initial_seed", &lyapunov_config::initial_seed, int_range(-1))
      .add("tangent_seed", &lyapunov_config::tangent_seed, int_range(-1))
      .add("twin", &lyapunov_config::twin, anything<bool>())
      .add("twin_epsilon", &lyapunov_config::twin_epsilon,
           real(bound{0.0, true}, bound{1.0, false}));

  section<record_config>(s, "record", &run_config::record)
      .add("states", &record_config::states, anything<bool>())
      .add("spikes", &record_config::spikes, anything<bool>());

  section<nir_config>(s, "nir", &run_config::nir)
      .add("integrator", &nir_config::integrator, one_of({"exact", "euler"}))
      .add("reset", &nir_config::reset, one_of({"value", "subtract"}))
      .add("dt", &nir_config::dt,
           [](const double& v, const run_config&) {
             return v == 0.0 || (std::isfinite(v) && v > 0.0)
                        ? std::string()
                        : std::string("a number > 0 (seconds; 0 = network.dt / 1000)");
           })
      .add("recurrent", &nir_config::recurrent, anything<std::string>());
  return s;
}

const std::vector<key_spec>& schema() {
  static const std::vector<key_spec> s = make_schema();
  return s;
}

const key_spec* find_key(std::string_view dotted) {
  for (const auto& k : schema())
    if (k.key == dotted) return &k;
  return nullptr;
}

bool is_section(std::string_view dotted) {
  for (const auto& k : schema())
    if (k.key.size() > dotted.size() && k.key.starts_with(dotted) && k.key[dotted.size()] == '.')
      return true;
  return false;
}

// The names allowed directly under `prefix` ("" = top level), for unknown-key messages.
std::string names_under(const std::string& prefix) {
  const std::string start = prefix.empty() ? "" : prefix + ".";
  string_list names;
  for (const auto& k : schema()) {
    if (!k.key.starts_with(start)) continue;
    std::string rest = k.key.substr(start.size());
    rest = rest.substr(0, rest.find('.'));
    if (names.empty() || names.back() != rest) names.push_back(rest);
  }
  std::string out = "one of ";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading a parsed table into a run_config.

using location_map = std::map<std::string, std::string>;

template <class T>
std::optional<T> read_as(const toml::node& node) {
  if constexpr (std::is_same_v<T, double>) {
    // Integers are accepted for doubles: `gain = 1` means 1.0.
    if (const auto* d = node.as_floating_point()) return d->get();
    if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
    return std::nullopt;
  } else if constexpr (std::is_same_v<T, string_list>) {
    const auto* a = node.as_array();
    if (!a) return std::nullopt;
    string_list out;
    for (const auto& element : *a) {
      const auto* s = element.as_string();
      if (!s) return std::nullopt;
      out.push_back(s->get());
    }
    return out;
  } else {
    if (const auto* v = node.as<T>()) return v->get();
    return std::nullopt;
  }
}

void assign(const key_spec& spec, const toml::node& node, run_config& config) {
  std::visit(
      [&](const auto& f) {
        using T = std::remove_cvref_t<decltype(f.get(config))>;
        auto v = read_as<T>(node);
        if (!v) throw parameter_error(spec.key, node_text(node), type_name<T>(), location_of(node));
        f.get(config) = std::move(*v);
      },
      spec.value);
}

void fill(const toml::table& table, const std::string& prefix, run_config& config,
          location_map& locations) {
  for (const auto& [k, node] : table) {
    const std::string name(k.str());
    const std::string dotted = prefix.empty() ? name : prefix + "." + name;
    // A quoted key with a dot ("network.n_in" = 1) is one key, not a path: unknown.
    const bool plain = name.find('.') == std::string::npos;
    if (const key_spec* spec = plain ? find_key(dotted) : nullptr) {
      assign(*spec, node, config);
      locations[dotted] = location_of(node);
    } else if (plain && is_section(dotted)) {
      const auto* sub = node.as_table();
      if (!sub) {
        throw parameter_error(dotted, node_text(node), fmt::format("a table ([{}])", dotted),
                              location_of(node));
      }
      fill(*sub, dotted, config, locations);
    } else {
      throw parameter_error(dotted, "unknown key", names_under(prefix), location_of(node));
    }
  }
}

void validate(const run_config& config, const location_map& locations) {
  run_config copy = config;  // field accessors take a mutable config
  for (const auto& spec : schema()) {
    std::visit(
        [&](const auto& f) {
          if (spec.optional && !locations.contains(spec.key)) return;  // the profile's
          const auto& v = f.get(copy);
          std::string expected = f.check(v, config);
          if (expected.empty()) return;
          auto at = locations.find(spec.key);
          if (at == locations.end() && !spec.blame.empty()) at = locations.find(spec.blame);
          throw parameter_error(spec.key, format_value(v), expected,
                                at == locations.end() ? std::string() : at->second);
        },
        spec.value);
  }
}

// ---------------------------------------------------------------------------------------
// Parsing text and --set overrides.

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

toml::table parse_text(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw file_error(std::string(source),
                     fmt::format("TOML syntax error at line {}, column {}: {}",
                                 e.source().begin.line, e.source().begin.column, e.description()));
  }
}

std::optional<toml::table> try_parse(const std::string& text) {
  try {
    return toml::parse(text, k_set_location);
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
}

// The key path of an override ("a.b.c" or quoted parts) as its components.
std::optional<string_list> override_path(const std::string& key) {
  if (key.empty() || key.find_first_of("\r\n#") != std::string::npos) return std::nullopt;
  auto parsed = try_parse(key + " = 0");
  if (!parsed) return std::nullopt;
  string_list path;
  const toml::table* t = &*parsed;
  while (true) {
    if (t->size() != 1) return std::nullopt;
    const auto it = t->begin();  // its proxy pair lives in the iterator: keep it alive
    const toml::node& node = it->second;
    path.emplace_back(it->first.str());
    if (const auto* sub = node.as_table()) {
      t = sub;
    } else {
      return node.is_integer() ? std::optional(path) : std::nullopt;
    }
  }
}

// "dotted.key=VALUE": VALUE is a TOML value; for string keys a bare word is a string.
void apply_override(toml::table& root, const std::string& text) {
  const auto eq = text.find('=');
  const std::string expected_form = "KEY=VALUE with a dotted key, e.g. network.n_rec=200";
  if (eq == std::string::npos) {
    throw parameter_error(text, "no '='", expected_form, std::string(k_set_location));
  }
  const std::string key = trim(std::string_view(text).substr(0, eq));
  const std::string value = trim(std::string_view(text).substr(eq + 1));
  const auto path = override_path(key);
  if (!path) {
    throw parameter_error(text, fmt::format("the malformed key {}", quote(key)), expected_form,
                          std::string(k_set_location));
  }
  std::string dotted;
  for (const auto& p : *path) dotted += (dotted.empty() ? "" : ".") + p;

  const key_spec* spec = find_key(dotted);
  const bool string_key = spec && std::holds_alternative<field<std::string>>(spec->value);
  auto parsed =
      value.find_first_of("\r\n") == std::string::npos ? try_parse("v = " + value) : std::nullopt;
  if (parsed && parsed->size() != 1) parsed.reset();
  if (!parsed || (string_key && !(*parsed)["v"].is_string())) {
    if (spec && !string_key) {
      // Say what the key takes rather than "bad TOML".
      std::string expected = std::visit(
          [](const auto& f) {
            using T = std::remove_cvref_t<decltype(f.get(std::declval<run_config&>()))>;
            return type_name<T>() + " (as a TOML value)";
          },
          spec->value);
      throw parameter_error(dotted, value.empty() ? "nothing" : value, expected,
                            std::string(k_set_location));
    }
    parsed = try_parse("v = " + quote(value));
    if (!parsed) {  // only invalid UTF-8 gets here
      throw parameter_error(dotted, value, "a valid UTF-8 string", std::string(k_set_location));
    }
  }
  toml::node& leaf = *parsed->get("v");

  // Walk down, creating missing tables along the way. A value that is not a table (`network
  // = 5`, `[[train]]`) is the file's error, reported as it would be without --set.
  toml::table* t = &root;
  std::string prefix;
  for (std::size_t i = 0; i + 1 < path->size(); ++i) {
    prefix += (i ? "." : "") + (*path)[i];
    toml::node* next = t->get((*path)[i]);
    if (next && !next->is_table() && is_section(prefix)) {
      throw parameter_error(prefix, node_text(*next), fmt::format("a table ([{}])", prefix),
                            location_of(*next));
    }
    if (!next || !next->is_table()) {  // not a section: the key is unknown either way
      t->insert_or_assign((*path)[i], toml::table{});
      next = t->get((*path)[i]);
    }
    t = next->as_table();
  }
  t->insert_or_assign(path->back(), std::move(leaf));  // moving keeps the "--set" source
}

// network.dt (ms) and nir.dt (s) name one step: nir.dt given alone sets network.dt; both
// given must agree. nir.dt = 0 stays: it means network.dt / 1000 (nir_step).
void resolve_step(run_config& config, const location_map& locations) {
  if (config.nir.dt == 0.0) return;
  const double ms = config.nir.dt * 1000.0;
  if (locations.contains("network.dt") &&
      std::abs(config.network.dt - ms) > 1e-9 * std::max(ms, config.network.dt)) {
    throw parameter_error("nir.dt", format_value(config.nir.dt),
                          fmt::format("network.dt / 1000 = {} s (network.dt is in ms, nir.dt in "
                                      "s; give one of them, or both alike)",
                                      format_value(config.network.dt / 1000.0)),
                          locations.at("nir.dt"));
  }
  if (!locations.contains("network.dt")) config.network.dt = ms;
}

// Relative paths in a file name files next to it (base_dir); those given with --set, files
// in the current directory. They are stored absolute, so the config in a run file names
// the same files from any directory.
void resolve_paths(run_config& config, const location_map& locations, const std::string& base_dir) {
  namespace fs = std::filesystem;
  const auto resolve = [&](const std::string& key, std::string& value) {
    if (value.empty() || fs::path(value).is_absolute()) return;
    const auto at = locations.find(key);
    const bool from_file = at != locations.end() && at->second != k_set_location;
    const fs::path base = from_file && !base_dir.empty() ? fs::path(base_dir) : fs::path();
    value = fs::absolute(base / value).lexically_normal().string();
  };
  // Every key that names a file belongs here.
  resolve("network.file", config.network.file);
  resolve("task.file", config.task.file);
  if (is_profile_path(config.chip.profile)) resolve("chip.profile", config.chip.profile);
}

}  // namespace

run_config parse_config(std::string_view toml_text, std::string_view source,
                        const std::vector<std::string>& overrides, const std::string& base_dir) {
  // toml++ leaves the source unset for an empty name, which would read as "--set".
  const std::string name = source.empty() ? std::string("<config>") : std::string(source);
  toml::table root = parse_text(toml_text, name);
  for (const auto& o : overrides) apply_override(root, o);

  run_config config;
  location_map locations;
  fill(root, "", config, locations);
  validate(config, locations);
  resolve_step(config, locations);
  resolve_paths(config, locations, base_dir);
  try {
    resolve_chip(config.chip);
  } catch (const parameter_error& e) {
    if (!e.location().empty()) throw;  // a profile file's key, at its own line
    // Point at the line of the offending [chip] key (or of chip.profile) when we know it.
    auto at = locations.find(e.key());
    if (at == locations.end()) at = locations.find("chip.profile");
    if (at == locations.end() || !e.key().starts_with("chip.")) throw;
    throw parameter_error(e.key(), e.value(), e.expected(), at->second);
  }
  return config;
}

double nir_step(const run_config& config) {
  return config.nir.dt > 0.0 ? config.nir.dt : config.network.dt / 1000.0;
}

run_config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw file_error(path, "no such file");
  if (fs::is_directory(status)) throw file_error(path, "is a directory, not a config file");
  check_input_file(path);  // a FIFO would block the read below forever
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path, "cannot be opened for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw file_error(path, "read error");
  return parse_config(text.str(), path, overrides,
                      std::filesystem::path(path).parent_path().string());
}

std::vector<key_description> describe_config() {
  // Each rule is asked about a value it refuses: its answer is the error message's
  // "expected ..." text. Cross-field limits name the other key without its value here.
  run_config probe;
  probe.network.init = "file";
  probe.task.name = "file";
  const run_config defaults;
  run_config copy = defaults;
  const std::regex current_value(R"( = -?[0-9][0-9.e+\-]*)");
  std::vector<key_description> out;
  for (const auto& spec : schema()) {
    std::visit(
        [&](const auto& f) {
          using T = std::remove_cvref_t<decltype(f.get(copy))>;
          T refused{};
          if constexpr (std::is_same_v<T, std::int64_t>)
            refused = std::numeric_limits<std::int64_t>::min();
          if constexpr (std::is_same_v<T, double>) refused = std::nan("");
          if constexpr (std::is_same_v<T, string_list>) refused = {""};
          std::string type;  // docs/config.md's names
          if constexpr (std::is_same_v<T, std::int64_t>) type = "int";
          if constexpr (std::is_same_v<T, double>) type = "number";
          if constexpr (std::is_same_v<T, bool>) type = "bool";
          if constexpr (std::is_same_v<T, std::string>) type = "string";
          if constexpr (std::is_same_v<T, string_list>) type = "string array";
          out.push_back({spec.key, type, spec.optional ? "" : format_value(f.get(copy)),
                         std::regex_replace(f.check(refused, probe), current_value, "")});
        },
        spec.value);
  }
  return out;
}

std::string to_toml(const run_config& config) {
  run_config copy = config;  // field accessors take a mutable config
  std::string out;
  std::string current_section;
  for (const auto& spec : schema()) {
    const auto dot = spec.key.rfind('.');
    const std::string sec = dot == std::string::npos ? "" : spec.key.substr(0, dot);
    const std::string name = dot == std::string::npos ? spec.key : spec.key.substr(dot + 1);
    if (sec != current_section) {
      out += fmt::format("\n[{}]\n", sec);
      current_section = sec;
    }
    std::visit([&](const auto& f) { out += name + " = " + format_value(f.get(copy)) + "\n"; },
               spec.value);
  }
  return out;
}

}  // namespace chaoschip::io
