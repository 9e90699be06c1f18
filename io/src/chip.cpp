#include "chaoschip/io/chip.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/paths.hpp"

namespace chaoschip::io {

namespace nm = chaoschip::neuromorphic;

namespace {

// One profile field: its name and how to read/write it as a TOML integer or string, both
// in a chip_profile and in a [chip] section (where "unset" is -1 or "").
struct field {
  std::string key;
  bool is_int;
  std::function<void(nm::chip_profile&, const std::string&, std::int64_t)> set;
  std::function<std::string(const nm::chip_profile&)> get_string;
  std::function<std::int64_t(const nm::chip_profile&)> get_int;
  std::function<std::string&(chip_config&)> config_string;
  std::function<std::int64_t&(chip_config&)> config_int;
};

field int_field(std::string key, int nm::chip_profile::*p, std::int64_t chip_config::*c) {
  return {std::move(key),
          true,
          [p](nm::chip_profile& pr, const std::string&, std::int64_t v) {
            pr.*p = static_cast<int>(v);
          },
          {},
          [p](const nm::chip_profile& pr) { return static_cast<std::int64_t>(pr.*p); },
          {},
          [c](chip_config& cc) -> std::int64_t& { return cc.*c; }};
}

template <class E>
field enum_field(std::string key, E nm::chip_profile::*p, std::string chip_config::*c,
                 std::function<E(std::string_view)> parse) {
  return {
      std::move(key),
      false,
      [p, parse](nm::chip_profile& pr, const std::string& v, std::int64_t) { pr.*p = parse(v); },
      [p](const nm::chip_profile& pr) { return std::string(nm::to_string(pr.*p)); },
      {},
      [c](chip_config& cc) -> std::string& { return cc.*c; },
      {}};
}

const std::vector<field>& fields() {
  static const std::vector<field> f = {
      enum_field<nm::kernel_kind>("kernel", &nm::chip_profile::kernel, &chip_config::kernel,
                                  [](std::string_view s) { return nm::parse_kernel(s); }),
      int_field("weight_bits", &nm::chip_profile::weight_bits, &chip_config::weight_bits),
      enum_field<nm::quantizer_kind>("quantizer", &nm::chip_profile::quantizer,
                                     &chip_config::quantizer,
                                     [](std::string_view s) { return nm::parse_quantizer(s); }),
      int_field("state_bits", &nm::chip_profile::state_bits, &chip_config::state_bits),
      int_field("state_frac_bits", &nm::chip_profile::state_frac_bits,
                &chip_config::state_frac_bits),
      int_field("trace_bits", &nm::chip_profile::trace_bits, &chip_config::trace_bits),
      int_field("trace_frac_bits", &nm::chip_profile::trace_frac_bits,
                &chip_config::trace_frac_bits),
      int_field("decay_bits", &nm::chip_profile::decay_bits, &chip_config::decay_bits),
      enum_field<nm::rounding>(
          "rounding", &nm::chip_profile::weight_rounding, &chip_config::rounding,
          [](std::string_view s) { return nm::parse_rounding(s, "chip.rounding"); }),
      enum_field<nm::rounding>(
          "state_rounding", &nm::chip_profile::state_rounding, &chip_config::state_rounding,
          [](std::string_view s) { return nm::parse_rounding(s, "chip.state_rounding"); }),
      enum_field<nm::rounding>(
          "update_rounding", &nm::chip_profile::update_rounding, &chip_config::update_rounding,
          [](std::string_view s) { return nm::parse_rounding(s, "chip.update_rounding"); }),
      enum_field<nm::update_mode>("update_mode", &nm::chip_profile::updates,
                                  &chip_config::update_mode,
                                  [](std::string_view s) { return nm::parse_update_mode(s); }),
      enum_field<nm::overflow>(
          "overflow", &nm::chip_profile::state_overflow, &chip_config::overflow,
          [](std::string_view s) { return nm::parse_overflow(s, "chip.overflow"); }),
      int_field("accumulator_bits", &nm::chip_profile::accumulator_bits,
                &chip_config::accumulator_bits),
      int_field("max_spikes", &nm::chip_profile::max_spikes, &chip_config::max_spikes),
  };
  return f;
}

std::string where(const toml::node& n, const std::string& path) {
  return "line " + std::to_string(n.source().begin.line) + " of " + path;
}

const nm::chip_profile& builtin_or_throw(const std::string& name, const std::string& key,
                                         const std::string& location) {
  if (const auto* p = nm::find_builtin(name)) return *p;
  std::string names;
  for (const auto& p : nm::builtin_profiles()) names += (names.empty() ? "" : ", ") + p.name;
  throw parameter_error(key, "\"" + name + "\"",
                        "a built-in profile (" + names + ") or the path of a profile .toml file",
                        location);
}

// A profile file, its base (a built-in name, or another file: relative to this one's
// folder) first. `chain` holds the files being read, to refuse a base that loops.
nm::chip_profile load_profile(const std::string& path, std::vector<std::string>& chain) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw file_error(path, "no such chip profile file");
  if (fs::is_directory(path, ec)) throw file_error(path, "is a directory, not a profile file");
  check_input_file(path);  // a FIFO would block the read below forever
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw file_error(path, "TOML syntax error at line " + std::to_string(e.source().begin.line) +
                               ": " + std::string(e.description()));
  }
  nm::chip_profile p;
  if (const auto* base = t.get("base")) {
    const auto* s = base->as_string();
    if (!s)
      throw parameter_error("base", "a non-string", "a built-in profile name or a profile file",
                            where(*base, path));
    const std::string name = s->get();
    if (is_profile_path(name)) {
      const fs::path file = fs::path(name).is_absolute()
                                ? fs::path(name)
                                : (fs::absolute(path).parent_path() / name).lexically_normal();
      if (!fs::exists(file, ec))
        throw parameter_error("base", "\"" + name + "\" (no such file: " + file.string() + ")",
                              "a built-in profile name or an existing profile file",
                              where(*base, path));
      chain.push_back(fs::weakly_canonical(path, ec).string());
      for (const auto& seen : chain)
        if (seen == fs::weakly_canonical(file, ec).string())
          throw parameter_error("base", "\"" + name + "\"",
                                "a base that does not lead back to this file",
                                where(*base, path));
      p = load_profile(file.string(), chain);
      chain.pop_back();
    } else {
      p = builtin_or_throw(name, "base", where(*base, path));
    }
  } else {
    p = *nm::find_builtin("float64");
  }
  p.name = fs::path(path).stem().string();
  std::map<std::string, std::string> lines;  // chip.<key> -> its line, for validate's errors
  for (const auto& [k, node] : t) {
    const std::string key(k.str());
    lines["chip." + key] = where(node, path);
    if (key == "base") continue;
    if (key == "name" || key == "description") {
      const auto* s = node.as_string();
      if (!s) throw parameter_error(key, "a non-string", "a string", where(node, path));
      (key == "name" ? p.name : p.description) = s->get();
      continue;
    }
    const field* f = nullptr;
    for (const auto& candidate : fields())
      if (candidate.key == key) f = &candidate;
    if (!f) {
      std::string names = "name, description, base";
      for (const auto& c : fields()) names += ", " + c.key;
      throw parameter_error(key, "unknown key", "one of " + names, where(node, path));
    }
    try {
      if (f->is_int) {
        const auto* i = node.as_integer();
        if (!i) throw parameter_error(key, "a non-integer", "an integer", where(node, path));
        f->set(p, {}, i->get());
      } else {
        const auto* s = node.as_string();
        if (!s) throw parameter_error(key, "a non-string", "a string", where(node, path));
        f->set(p, s->get(), 0);
      }
    } catch (const parameter_error& e) {
      if (!e.location().empty()) throw;
      throw parameter_error(key, e.value(), e.expected(), where(node, path));
    }
  }
  try {
    nm::validate(p);
  } catch (const parameter_error& e) {
    // The line of the offending key when the file sets it; else the file (a combination).
    const auto at = lines.find(e.key());
    throw parameter_error(e.key(), e.value(), e.expected(),
                          at != lines.end() ? at->second : "profile file " + path);
  }
  return p;
}

}  // namespace

bool is_profile_path(std::string_view profile) {
  return profile.ends_with(".toml") || profile.find('/') != std::string_view::npos;
}

nm::chip_profile load_profile_file(const std::string& path) {
  std::vector<std::string> chain;
  return load_profile(path, chain);
}

nm::chip_profile resolve_profile(const chip_config& chip) {
  nm::chip_profile p = is_profile_path(chip.profile) ? load_profile_file(chip.profile)
                               : builtin_or_throw(chip.profile, "chip.profile", "");
  chip_config c = chip;  // accessors take a mutable section
  for (const auto& f : fields()) {
    if (f.is_int) {
      if (const std::int64_t v = f.config_int(c); v >= 0) f.set(p, {}, v);
    } else if (const std::string& v = f.config_string(c); !v.empty()) {
      f.set(p, v, 0);
    }
  }
  // Asking a float profile for quantised weights without naming a quantiser means the
  // plain per-tensor one; asking for float weights means none.
  if (chip.quantizer.empty()) {
    if (p.weight_bits > 0 && p.quantizer == nm::quantizer_kind::none)
      p.quantizer = nm::quantizer_kind::per_tensor;
    else if (p.weight_bits == 0)
      p.quantizer = nm::quantizer_kind::none;
  }
  nm::validate(p);
  return p;
}

void resolve_chip(chip_config& chip) {
  const nm::chip_profile p = resolve_profile(chip);
  for (const auto& f : fields()) {
    if (f.is_int)
      f.config_int(chip) = f.get_int(p);
    else
      f.config_string(chip) = f.get_string(p);
  }
}

}  // namespace chaoschip::io
