// Reading run files back (`chaoschip lyapunov RUN.h5`): every dataset and attribute is
// checked against docs/file_format.md and the file's own config before it is used, so a
// damaged or hand-edited file is an input error naming the file and the dataset, never a
// silently different computation.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "chaoschip/io/chip.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"
#include "h5.hpp"

namespace chaoschip::io {

std::optional<std::int64_t> as_integer(const attribute_value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) {
    // Exactly representable integers only (|x| < 2^53).
    if (std::isfinite(*d) && *d == std::round(*d) && std::abs(*d) < 9007199254740992.0)
      return static_cast<std::int64_t>(*d);
    return std::nullopt;
  }
  const auto& s = std::get<std::string>(v);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

std::string read_config_attribute(const std::string& path) {
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&] {
    if (!f.attrExists("config"))
      throw file_error(path, "attribute 'config' is missing (not a chaoschip run file?)");
    if (f.openAttribute("config").getTypeClass() != H5T_STRING)
      throw file_error(path,
                       "attribute 'config' is not a string (expected the run's config as "
                       "TOML text)");
    return *h5::read_string_attribute(f, "config");
  });
}

namespace {

// The range a profile's weight codes can take: Lava's 8-bit magnitudes with a sign on
// loihi, symmetric +-(2^(bits-1) - 1) elsewhere (what the mapping and on-chip updates keep).
std::pair<double, double> code_range(const neuromorphic::chip_profile& p) {
  if (p.kernel == neuromorphic::kernel_kind::loihi) return {-256.0, 255.0};
  const double hi = std::ldexp(1.0, p.weight_bits - 1) - 1.0;
  return {-hi, hi};
}

// A scalar attribute as string, int64 or float64 (nullopt for other types and arrays).
std::optional<attribute_value> read_attribute(const H5::H5Object& object, const std::string& key) {
  const H5::Attribute a = object.openAttribute(key);
  if (a.getSpace().getSimpleExtentNpoints() != 1) return std::nullopt;
  switch (a.getTypeClass()) {
    case H5T_STRING:
      return h5::read_string(object, key);
    case H5T_INTEGER: {
      std::int64_t value = 0;
      a.read(H5::PredType::NATIVE_INT64, &value);
      return value;
    }
    case H5T_FLOAT: {
      double value = 0;
      a.read(H5::PredType::NATIVE_DOUBLE, &value);
      return value;
    }
    default:
      return std::nullopt;
  }
}

// The `scale` attribute of int32 codes: float, finite, > 0, one value or one per row.
Eigen::VectorXd read_scale(const H5::DataSet& set, const std::string& path, const std::string& name,
                           Eigen::Index rows) {
  if (!set.attrExists("scale"))
    throw file_error(path, fmt::format("dataset '{}' holds int32 codes without their 'scale' "
                                       "attribute (the float weight of one code)",
                                       name));
  const H5::Attribute a = set.openAttribute("scale");
  const auto n = static_cast<Eigen::Index>(a.getSpace().getSimpleExtentNpoints());
  if (a.getTypeClass() != H5T_FLOAT || (n != 1 && n != rows))
    throw file_error(path, fmt::format("attribute 'scale' of '{}' has {} {} value(s), expected "
                                       "float64: one, or one per row ({})",
                                       name, n, h5::type_name(a.getDataType()), rows));
  Eigen::VectorXd scale(n);
  a.read(H5::PredType::NATIVE_DOUBLE, scale.data());
  for (Eigen::Index i = 0; i < n; ++i)
    if (!std::isfinite(scale[i]) || scale[i] <= 0.0)
      throw file_error(path, fmt::format("attribute 'scale' of '{}' holds {} at [{}], expected "
                                         "a finite number > 0",
                                         name, scale[i], i));
  return scale;
}

struct expected_matrix {
  Eigen::Index rows = 0, cols = 0;
  std::string why;                                    // the config keys behind the shape
  const neuromorphic::chip_profile* codes = nullptr;  // int32 codes allowed on this profile
};

// One weight matrix as float weights (int32 codes times their scale), checked.
Eigen::MatrixXd read_weight(const H5::H5File& f, const std::string& path, const std::string& name,
                            const expected_matrix& e, bool& is_codes) {
  const auto [set, shape] = h5::open_dataset(f, path, name, {H5T_FLOAT, H5T_INTEGER});
  const std::string type = h5::type_name(set.getDataType());
  is_codes = type == "int32";
  if (type != "float64" && !(is_codes && e.codes)) {
    const std::string expected =
        e.codes ? "float64, or int32 codes with a 'scale' attribute"
                : "float64 (int32 codes only for w_in and w_rec on a chip profile with "
                  "weight_bits > 0)";
    throw file_error(path,
                     fmt::format("dataset '{}' has type {}, expected {}", name, type, expected));
  }
  h5::expect_shape(path, name, shape, {static_cast<hsize_t>(e.rows), static_cast<hsize_t>(e.cols)},
                   e.why);
  const auto data = h5::read_dataset<double>(f, path, name, {H5T_FLOAT, H5T_INTEGER});
  const Eigen::MatrixXd m = Eigen::Map<const row_matrix>(data.values.data(), e.rows, e.cols);
  if (!is_codes) {
    h5::expect_finite(path, name, data);
    return m;
  }
  const auto [lo, hi] = code_range(*e.codes);
  const auto bad = std::find_if(data.values.begin(), data.values.end(),
                                [lo = lo, hi = hi](double v) { return v < lo || v > hi; });
  if (bad != data.values.end())
    throw file_error(
        path, fmt::format("dataset '{}' holds code {} at {}, outside [{}, {}] "
                          "(chip.profile = \"{}\", chip.weight_bits = {})",
                          name, *bad, h5::format_index(data.shape, bad - data.values.begin()), lo,
                          hi, e.codes->name, e.codes->weight_bits));
  const Eigen::VectorXd scale = read_scale(set, path, name, e.rows);
  if (scale.size() == 1) return m * scale[0];
  return scale.asDiagonal() * m;
}

}  // namespace

std::optional<std::string> read_root_attribute(const std::string& path, const std::string& name) {
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&] { return h5::read_string_attribute(f, name); });
}

std::optional<weight_set> read_weights(const std::string& path, const std::string& group,
                                       const run_config& c) {
  const auto profile = resolve_profile(c.chip);
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&]() -> std::optional<weight_set> {
    const std::string base = "/network/" + group;
    if (!h5::exists(f, base)) return std::nullopt;
    const Eigen::Index n_in = c.network.n_in, n_rec = c.network.n_rec, n_out = c.network.n_out;
    const std::string in = fmt::format("network.n_in = {}", n_in),
                      rec = fmt::format("network.n_rec = {}", n_rec),
                      out = fmt::format("network.n_out = {}", n_out);
    const auto* codes = profile.weight_bits > 0 ? &profile : nullptr;
    weight_set w;
    bool in_codes = false, rec_codes = false, other = false;
    w.w_in = read_weight(f, path, base + "/w_in", {n_rec, n_in, rec + ", " + in, codes}, in_codes);
    w.w_rec = read_weight(f, path, base + "/w_rec", {n_rec, n_rec, rec, codes}, rec_codes);
    w.w_out = read_weight(f, path, base + "/w_out", {n_out, n_rec, out + ", " + rec}, other);
    if (h5::exists(f, base + "/feedback"))
      w.feedback =
          read_weight(f, path, base + "/feedback", {n_rec, n_out, rec + ", " + out}, other);
    // Codes are used as they are, float weights are mapped to the chip: a mix of the two
    // would treat the projections differently.
    if (in_codes != rec_codes)
      throw file_error(path, fmt::format("'{}/w_in' and '{}/w_rec' must both be float64 or "
                                         "both int32 codes (one of each found)",
                                         base, base));
    w.dequantized = in_codes;
    return w;
  });
}

namespace {

// The attributes of /states/<population> that chaoschip gives a meaning, checked and
// normalised (t0 as int64); any others are kept as they are.
std::map<std::string, attribute_value> read_state_attributes(const H5::Group& g,
                                                             const std::string& path,
                                                             const std::string& base) {
  std::map<std::string, attribute_value> out;
  auto where = [&](const std::string& key) {
    return fmt::format("attribute '{}' of '{}'", key, base);
  };
  const std::map<std::string, std::set<std::string>> choices = {
      {"trajectory", {"lyapunov", "run", "training"}}, {"weights", {"initial", "final"}}};
  for (int i = 0; i < g.getNumAttrs(); ++i) {
    const std::string key = g.openAttribute(static_cast<unsigned>(i)).getName();
    const auto value = read_attribute(g, key);
    if (const auto it = choices.find(key); it != choices.end()) {
      const auto* s = value ? std::get_if<std::string>(&*value) : nullptr;
      if (!s || !it->second.contains(*s))
        throw file_error(path, fmt::format("{} is {}, expected one of \"{}\"", where(key),
                                           s ? "\"" + *s + "\"" : std::string("not a string"),
                                           fmt::join(it->second, "\", \"")));
      out.emplace(key, *s);
    } else if (key == "t0") {
      const auto t0 = value ? as_integer(*value) : std::nullopt;
      if (!t0 || *t0 < 0) {
        const auto* text = value ? std::get_if<std::string>(&*value) : nullptr;
        const std::string shown =
            !value ? std::string("not a scalar")
            : text ? "\"" + *text + "\""
                   : std::visit([](const auto& v) { return fmt::format("{}", v); }, *value);
        throw file_error(path, fmt::format("{} is {}, expected an integer step >= 0 (the step "
                                           "of row 0's state)",
                                           where(key), shown));
      }
      out.emplace(key, *t0);
    } else if (value) {
      out.emplace(key, *value);
    }
  }
  return out;
}

}  // namespace

std::optional<state_log> read_state_log(const std::string& path, const std::string& population,
                                        const run_config& c) {
  const bool integer_states = population == "recurrent" &&
                              resolve_profile(c.chip).kernel != neuromorphic::kernel_kind::float64;
  const std::int64_t n = population == "recurrent" ? c.network.n_rec
                         : population == "readout" ? c.network.n_out
                                                   : c.network.n_in;
  const std::string n_key = population == "recurrent" ? "network.n_rec"
                            : population == "readout" ? "network.n_out"
                                                      : "network.n_in";
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&]() -> std::optional<state_log> {
    const std::string base = "/states/" + population;
    if (!h5::exists(f, base)) return std::nullopt;
    const H5::Group g = f.openGroup(base);
    state_log log;
    log.attributes = read_state_attributes(g, path, base);
    std::optional<hsize_t> steps;
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) {
      const std::string name = base + "/" + g.getObjnameByIdx(i);
      const auto [set, shape] = h5::open_dataset(f, path, name, {H5T_FLOAT, H5T_INTEGER});
      const std::string type = h5::type_name(set.getDataType());
      const char* expected = integer_states ? "int64" : "float64";
      if (type != expected)
        throw file_error(
            path, fmt::format("dataset '{}' has type {}, expected {} ({})", name, type, expected,
                              integer_states ? "a chip kernel's integer states" : "float states"));
      const hsize_t rows = shape.empty() ? 0 : shape[0];
      h5::expect_shape(
          path, name, shape, {steps.value_or(rows), static_cast<hsize_t>(n)},
          steps ? fmt::format("{} = {}, and {} steps as the other variables", n_key, n, *steps)
                : fmt::format("[T, n] with {} = {}", n_key, n));
      steps = rows;
      const auto a = h5::read_dataset<double>(f, path, name, {H5T_FLOAT, H5T_INTEGER});
      h5::expect_finite(path, name, a);
      log.variables.emplace_back(
          g.getObjnameByIdx(i),
          Eigen::Map<const row_matrix>(a.values.data(), static_cast<Eigen::Index>(a.shape[0]),
                                       static_cast<Eigen::Index>(a.shape[1])));
    }
    return log;
  });
}

}  // namespace chaoschip::io
