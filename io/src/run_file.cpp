#include "chaoschip/io/run_file.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iterator>
#include <numeric>
#include <set>
#include <stdexcept>

#include "h5.hpp"

namespace chaoschip::io {

namespace {

// Eigen stores column-major; the file is [post, pre] row-major, so copy through row_matrix.
void write_matrix(const H5::Group& group, const std::string& name, const Eigen::MatrixXd& m) {
  const row_matrix rows = m;
  h5::write_dataset(group, name, rows.data(),
                    {static_cast<hsize_t>(m.rows()), static_cast<hsize_t>(m.cols())});
}

void write_integer_matrix(const H5::Group& group, const std::string& name,
                          const integer_weights& w) {
  const Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows =
      w.codes.cast<std::int32_t>();
  h5::write_dataset(group, name, rows.data(),
                    {static_cast<hsize_t>(rows.rows()), static_cast<hsize_t>(rows.cols())});
  const H5::DataSet set = group.openDataSet(name);
  if (w.scale.size() == 1) {
    h5::write_attribute(set, "scale", w.scale[0]);
  } else {
    // One scale per target neuron: a float64 array attribute.
    const hsize_t n = static_cast<hsize_t>(w.scale.size());
    const H5::DataSpace space(1, &n);
    set.createAttribute("scale", H5::PredType::NATIVE_DOUBLE, space)
        .write(H5::PredType::NATIVE_DOUBLE, w.scale.data());
  }
  for (const auto& [key, value] : w.attributes) h5::write_attribute(set, key, value);
}

void write_weights(const H5::Group& root, const std::string& group, const weight_set& w,
                   const std::map<std::string, integer_weights>* integer) {
  const H5::Group g = h5::require_group(root, "network/" + group);
  auto write = [&](const std::string& name, const Eigen::MatrixXd& m) {
    if (integer) {
      if (auto it = integer->find(name); it != integer->end())
        return write_integer_matrix(g, name, it->second);
    }
    write_matrix(g, name, m);
  };
  write("w_in", w.w_in);
  write("w_rec", w.w_rec);
  write("w_out", w.w_out);
  if (w.feedback.size() > 0) write("feedback", w.feedback);
}

void write_chip(const H5::Group& root, const chip_data& chip) {
  const H5::Group g = h5::require_group(root, "chip");
  for (const auto& [name, value] : chip.parameters)
    h5::write_dataset(g, name, value.data(), {static_cast<hsize_t>(value.size())});
  if (!chip.shadow.empty()) {
    const H5::Group s = h5::require_group(g, "shadow");
    for (const auto& [name, w] : chip.shadow) write_matrix(s, name, w);
  }
}

void write_spikes(const H5::Group& root, const spike_data& s) {
  if (s.population.empty()) throw std::invalid_argument("spike population without a name");
  if (s.timestamps.size() != s.node_ids.size())
    throw std::invalid_argument("spikes '" + s.population +
                                "': timestamps and node_ids differ in length");
  // The group promises sorting = "by_time"; enforce it (stable, so ties keep their order).
  std::vector<std::size_t> order(s.timestamps.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (!std::is_sorted(s.timestamps.begin(), s.timestamps.end()))
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return s.timestamps[a] < s.timestamps[b];
    });
  std::vector<double> times(order.size());
  std::vector<std::uint64_t> ids(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    times[i] = s.timestamps[order[i]];
    ids[i] = s.node_ids[order[i]];
  }
  const H5::Group g = h5::require_group(root, "spikes/" + s.population);
  h5::write_dataset(g, "timestamps", times.data(), {times.size()});
  h5::write_dataset(g, "node_ids", ids.data(), {ids.size()});
  h5::write_attribute(g, "sorting", "by_time");
}

void write_states(const H5::Group& root, const state_data& s) {
  if (s.values.size() != s.steps * s.n)
    throw std::invalid_argument("states '" + s.population + "/" + s.variable +
                                "': values do not match steps * n");
  const H5::Group g = h5::require_group(root, "states/" + s.population);
  if (s.integer) {
    const std::vector<std::int64_t> ints(s.values.begin(), s.values.end());
    h5::write_dataset(g, s.variable, ints.data(), {s.steps, s.n});
  } else {
    h5::write_dataset(g, s.variable, s.values.data(), {s.steps, s.n});
  }
}

void write_lyapunov(const H5::Group& root, const std::string& name, const lyapunov_data& l) {
  const H5::Group g = h5::require_group(root, "lyapunov/" + name);
  const auto k = static_cast<std::size_t>(l.exponents.size());
  const H5::DataSet e = [&] {
    h5::write_dataset(g, "exponents", l.exponents.data(), {k});
    return g.openDataSet("exponents");
  }();
  h5::write_attribute(e, "unit", "1/step");
  h5::write_attribute(e, "dt", l.dt);
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> conv = l.convergence;
  h5::write_dataset(g, "convergence", conv.data(),
                    {static_cast<std::size_t>(conv.rows()), static_cast<std::size_t>(conv.cols())});
  h5::write_dataset(g, "checkpoint_steps", l.checkpoint_steps.data(), {l.checkpoint_steps.size()});
  h5::write_dataset(g, "cond", l.cond.data(), {l.cond.size()});
  h5::write_attribute(g, "jacobian", l.jacobian);
  h5::write_attribute(g, "source", l.source);
  h5::write_attribute(g, "kaplan_yorke_dimension", l.kaplan_yorke);
  h5::write_attribute(g, "entropy_rate", l.entropy_rate);
  h5::write_attribute(g, "steps", static_cast<double>(l.steps));
  h5::write_attribute(g, "warmup", static_cast<double>(l.warmup));
  h5::write_attribute(g, "ons_interval", static_cast<double>(l.ons_interval));
  h5::write_attribute(g, "dt", l.dt);
  if (!std::isnan(l.twin)) h5::write_attribute(g, "twin_lambda_max", l.twin);
}

void write_series(const H5::Group& root, const std::string& name, const std::vector<double>& v) {
  if (v.empty()) return;
  h5::write_dataset(h5::require_group(root, "train"), name, v.data(), {v.size()});
}

Eigen::MatrixXd read_matrix(const H5::Group& root, const std::string& path,
                            const std::string& name) {
  const auto data = h5::read_dataset<double>(root, path, name, {H5T_FLOAT, H5T_INTEGER});
  if (data.shape.size() != 2)
    throw file_error(path, fmt::format("dataset '{}' has shape {}, expected a 2-D matrix", name,
                                       h5::format_shape(data.shape)));
  h5::expect_finite(path, name, data);
  return Eigen::Map<const row_matrix>(data.values.data(), static_cast<Eigen::Index>(data.shape[0]),
                                      static_cast<Eigen::Index>(data.shape[1]));
}

// ---- summary ---------------------------------------------------------------------------

// The handful of config values the summary shows; any may be missing.
struct config_view {
  std::optional<std::string> model;
  std::optional<std::int64_t> n_in, n_rec, n_out;
  std::optional<double> gain, dt;
  bool parsed = false;
};

config_view parse_config(const std::optional<std::string>& text) {
  config_view c;
  if (!text) return c;
  try {
    const toml::table t = toml::parse(*text);
    c.parsed = true;
    c.model = t["network"]["model"].value<std::string>();
    c.n_in = t["network"]["n_in"].value<std::int64_t>();
    c.n_rec = t["network"]["n_rec"].value<std::int64_t>();
    c.n_out = t["network"]["n_out"].value<std::int64_t>();
    c.gain = t["network"]["gain"].value<double>();
    c.dt = t["network"]["dt"].value<double>();
  } catch (const toml::parse_error&) {
    // A summary should still show everything else.
  }
  return c;
}

std::optional<double> to_number(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  try {
    std::size_t used = 0;
    const double v = std::stod(*s, &used);
    return used == s->size() ? std::optional(v) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

using out_it = std::back_insert_iterator<std::string>;

void summarize_weights(const H5::H5File& f, const std::string& path, out_it out) {
  for (const std::string when : {"initial", "final"}) {
    const std::string group = "network/" + when;
    if (!h5::exists(f, group)) continue;
    fmt::format_to(out, "weights ({}):\n", when);
    for (const std::string name : {"w_in", "w_rec", "w_out", "feedback"}) {
      if (!h5::exists(f, group + "/" + name)) continue;
      const auto [set, shape] =
          h5::open_dataset(f, path, group + "/" + name, {H5T_FLOAT, H5T_INTEGER});
      fmt::format_to(out, "  {:<9}{:<12}{}", name, h5::format_shape(shape),
                     h5::type_name(set.getDataType()));
      if (name == "w_rec") {
        const auto w =
            h5::read_dataset<double>(f, path, group + "/" + name, {H5T_FLOAT, H5T_INTEGER});
        const auto n = static_cast<double>(w.values.size());
        double sum = 0, sum2 = 0, max_abs = 0;
        for (double v : w.values) {
          sum += v;
          sum2 += v * v;
          max_abs = std::max(max_abs, std::abs(v));
        }
        const double mean = n > 0 ? sum / n : 0;
        const double var = n > 0 ? std::max(0.0, sum2 / n - mean * mean) : 0;
        fmt::format_to(out, "  mean {:.4g}, std {:.4g}, max |w| {:.4g}", mean, std::sqrt(var),
                       max_abs);
      }
      fmt::format_to(out, "\n");
    }
  }
}

void summarize_spikes(const H5::H5File& f, const std::string& path, const config_view& c,
                      std::optional<double> steps, out_it out) {
  if (!h5::exists(f, "spikes")) return;
  const H5::Group spikes = f.openGroup("spikes");
  fmt::format_to(out, "spikes:\n");
  for (hsize_t i = 0; i < spikes.getNumObjs(); ++i) {
    const std::string population = spikes.getObjnameByIdx(i);
    const std::string base = "spikes/" + population;
    if (!h5::exists(f, base + "/timestamps") || !h5::exists(f, base + "/node_ids")) continue;
    const auto times = h5::read_dataset<double>(f, path, base + "/timestamps", {H5T_FLOAT});
    const auto ids = h5::read_dataset<std::uint64_t>(f, path, base + "/node_ids", {H5T_INTEGER});
    const std::set<std::uint64_t> active(ids.values.begin(), ids.values.end());
    // Population size from the config where we know it, else the highest id seen.
    std::int64_t size = population == "recurrent" ? c.n_rec.value_or(0)
                        : population == "input"   ? c.n_in.value_or(0)
                                                  : 0;
    if (size <= 0 && !active.empty()) size = static_cast<std::int64_t>(*active.rbegin() + 1);
    double duration_ms = 0;
    if (steps && c.dt)
      duration_ms = *steps * *c.dt;
    else if (!times.values.empty())
      duration_ms = times.values.back();
    const auto count = times.values.size();
    fmt::format_to(out, "  {}: {} spikes from {} of {} neurons over {:.6g} ms", population, count,
                   active.size(), size > 0 ? std::to_string(size) : "?", duration_ms);
    if (size > 0 && duration_ms > 0)
      fmt::format_to(out, ", mean rate {:.4g} Hz",
                     static_cast<double>(count) / (static_cast<double>(size) * duration_ms * 1e-3));
    fmt::format_to(out, "\n");
  }
}

void summarize_training(const H5::H5File& f, const std::string& path, out_it out) {
  for (const std::string name : {"loss", "accuracy"}) {
    if (!h5::exists(f, "train/" + name)) continue;
    const auto v = h5::read_dataset<double>(f, path, "train/" + name, {H5T_FLOAT}).values;
    if (v.empty()) continue;
    const auto best = name == "loss" ? std::min_element(v.begin(), v.end())
                                     : std::max_element(v.begin(), v.end());
    fmt::format_to(
        out, "train {}: {} iterations, first {:.6g}, last {:.6g}, {} {:.6g} (iteration {})\n", name,
        v.size(), v.front(), v.back(), name == "loss" ? "min" : "max", *best, best - v.begin());
  }
}

void summarize_lyapunov(const H5::H5File& f, const std::string& path, out_it out) {
  if (!h5::exists(f, "lyapunov")) return;
  const H5::Group lyapunov = f.openGroup("lyapunov");
  for (hsize_t i = 0; i < lyapunov.getNumObjs(); ++i) {
    const std::string name = "lyapunov/" + lyapunov.getObjnameByIdx(i) + "/exponents";
    if (!h5::exists(f, name)) continue;
    const auto v = h5::read_dataset<double>(f, path, name, {H5T_FLOAT}).values;
    const std::size_t shown = std::min<std::size_t>(v.size(), 5);
    const H5::Group g = f.openGroup("lyapunov/" + lyapunov.getObjnameByIdx(i));
    const auto jacobian = h5::read_string_attribute(g, "jacobian");
    fmt::format_to(out, "lyapunov {}: k = {}, exponents {:.5g}{} per step{}\n",
                   lyapunov.getObjnameByIdx(i), v.size(),
                   fmt::join(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                   shown < v.size() ? ", ..." : "", jacobian ? " (" + *jacobian + ")" : "");
  }
  if (h5::exists(f, "floss/loss")) {
    const auto loss = h5::read_dataset<double>(f, path, "floss/loss", {H5T_FLOAT}).values;
    if (!loss.empty())
      fmt::format_to(out, "flossing: {} epochs, loss {:.5g} -> {:.5g}\n", loss.size(), loss.front(),
                     loss.back());
  }
}

// Every dataset with its shape and type, depth first in name order.
void list_datasets(const H5::Group& group, const std::string& prefix, out_it out) {
  for (hsize_t i = 0; i < group.getNumObjs(); ++i) {
    const std::string name = group.getObjnameByIdx(i);
    const std::string full = prefix + "/" + name;
    switch (group.childObjType(name)) {
      case H5O_TYPE_GROUP:
        list_datasets(group.openGroup(name), full, out);
        break;
      case H5O_TYPE_DATASET: {
        const H5::DataSet set = group.openDataSet(name);
        const H5::DataSpace space = set.getSpace();
        h5::shape_t shape(static_cast<std::size_t>(space.getSimpleExtentNdims()));
        if (!shape.empty()) space.getSimpleExtentDims(shape.data());
        fmt::format_to(out, "  {:<40} {:<14} {}\n", full,
                       shape.empty() ? std::string("scalar") : h5::format_shape(shape),
                       h5::type_name(set.getDataType()));
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace

void write_run_file(const std::string& path, const run_data& data) {
  const auto held = h5::lock();
  h5::atomic_file out(path);
  h5::guard(path, h5::writing, [&] {
    const H5::H5File& f = out.file();
    // Extras first, so they can never replace the four attributes every run file carries.
    for (const auto& [key, value] : data.root_attributes) h5::write_attribute(f, key, value);
    h5::write_provenance(f, data.config_toml);
    const auto* chip = data.chip ? &*data.chip : nullptr;
    if (data.initial) write_weights(f, "initial", *data.initial, chip ? &chip->initial : nullptr);
    if (data.final) write_weights(f, "final", *data.final, chip ? &chip->final : nullptr);
    if (chip) write_chip(f, *chip);
    for (const auto& s : data.spikes) write_spikes(f, s);
    for (const auto& s : data.states) write_states(f, s);
    for (const auto& [population, attributes] : data.states_attributes)
      for (const auto& [key, value] : attributes)
        h5::write_attribute(h5::require_group(f, "states/" + population), key, value);
    for (const auto& [name, l] : data.lyapunov) write_lyapunov(f, name, l);
    if (data.study) {
      const H5::Group g = h5::require_group(f, "study");
      for (const auto& [name, v] : data.study->numbers)
        h5::write_dataset(g, name, v.data(), {v.size()});
      for (const auto& [name, v] : data.study->strings) h5::write_strings(g, name, v);
    }
    if (!data.floss_loss.empty()) {
      const H5::Group g = h5::require_group(f, "floss");
      const std::size_t e = data.floss_loss.size();
      const auto k = static_cast<std::size_t>(data.floss_exponents.front().size());
      std::vector<double> rows;
      for (const auto& x : data.floss_exponents)
        rows.insert(rows.end(), x.data(), x.data() + x.size());
      h5::write_dataset(g, "loss", data.floss_loss.data(), {e});
      h5::write_dataset(g, "exponents", rows.data(), {e, k});
      h5::write_dataset(g, "iteration", data.floss_iteration.data(), {e});
      h5::write_attribute(g.openDataSet("exponents"), "unit", "1/step");
    }
    write_series(f, "loss", data.train_loss);
    write_series(f, "accuracy", data.train_accuracy);
  });
  out.commit();
}

std::string summarize_run_file(const std::string& path) {
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&] {
    std::string text;
    auto out = std::back_inserter(text);
    auto attribute = [&](const char* name) {
      return h5::read_string_attribute(f, name).value_or("(missing)");
    };
    const auto config_text = h5::read_string_attribute(f, "config");
    const config_view c = parse_config(config_text);
    fmt::format_to(out, "file:     {}\n", path);
    fmt::format_to(out, "version:  {} (revision {})\n", attribute("chaoschip_version"),
                   attribute("git_revision"));
    fmt::format_to(out, "created:  {}\n", attribute("created"));
    if (!config_text) {
      fmt::format_to(out, "config:   (missing)\n");
    } else if (!c.parsed) {
      fmt::format_to(out, "config:   (not valid TOML)\n");
    } else {
      std::vector<std::string> parts;
      if (c.model) parts.push_back("model " + *c.model);
      if (c.n_in) parts.push_back(fmt::format("n_in {}", *c.n_in));
      if (c.n_rec) parts.push_back(fmt::format("n_rec {}", *c.n_rec));
      if (c.n_out) parts.push_back(fmt::format("n_out {}", *c.n_out));
      if (c.gain) parts.push_back(fmt::format("gain {}", *c.gain));
      if (c.dt) parts.push_back(fmt::format("dt {} ms", *c.dt));
      fmt::format_to(out, "network:  {}\n", fmt::join(parts, ", "));
    }
    summarize_weights(f, path, out);
    summarize_spikes(f, path, c, to_number(h5::read_string_attribute(f, "steps")), out);
    summarize_training(f, path, out);
    summarize_lyapunov(f, path, out);
    fmt::format_to(out, "datasets:\n");
    list_datasets(f, "", out);
    return text;
  });
}

std::string read_config_attribute(const std::string& path) {
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  auto config =
      h5::guard(path, h5::reading, [&] { return h5::read_string_attribute(f, "config"); });
  if (!config) throw file_error(path, "attribute 'config' is missing (not a chaoschip run file?)");
  return *config;
}

namespace {
// A weight dataset as float weights: integer chip codes are multiplied by their `scale`
// attribute (one value, or one per row).
Eigen::MatrixXd read_weight(const H5::H5File& f, const std::string& path, const std::string& name,
                            bool* codes = nullptr) {
  Eigen::MatrixXd m = read_matrix(f, path, name);
  const H5::DataSet set = f.openDataSet(name);
  if (set.getTypeClass() != H5T_INTEGER || !set.attrExists("scale")) return m;
  if (codes) *codes = true;
  const H5::Attribute a = set.openAttribute("scale");
  const hssize_t n = a.getSpace().getSimpleExtentNpoints();
  Eigen::VectorXd scale(n);
  a.read(H5::PredType::NATIVE_DOUBLE, scale.data());
  if (n == 1) return m * scale[0];
  if (n != m.rows())
    throw file_error(path, "dataset '" + name + "' has " + std::to_string(n) +
                               " scales, expected 1 or one per row (" + std::to_string(m.rows()) +
                               ")");
  return scale.asDiagonal() * m;
}
}  // namespace

std::optional<weight_set> read_weights(const std::string& path, const std::string& group) {
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&]() -> std::optional<weight_set> {
    const std::string base = "network/" + group;
    if (!h5::exists(f, base)) return std::nullopt;
    weight_set w;
    w.w_in = read_weight(f, path, base + "/w_in", &w.dequantized);
    w.w_rec = read_weight(f, path, base + "/w_rec", &w.dequantized);
    w.w_out = read_weight(f, path, base + "/w_out");
    if (h5::exists(f, base + "/feedback")) w.feedback = read_weight(f, path, base + "/feedback");
    return w;
  });
}

std::optional<state_log> read_state_log(const std::string& path, const std::string& population) {
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&]() -> std::optional<state_log> {
    const std::string base = "states/" + population;
    if (!h5::exists(f, base)) return std::nullopt;
    const H5::Group g = f.openGroup(base);
    state_log log;
    for (int i = 0; i < g.getNumAttrs(); ++i) {
      const std::string key = g.openAttribute(static_cast<unsigned>(i)).getName();
      if (auto v = h5::read_string_attribute(g, key)) log.attributes[key] = *v;
    }
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) {
      const std::string name = g.getObjnameByIdx(i);
      const auto a = h5::read_dataset<double>(f, path, base + "/" + name, {H5T_FLOAT, H5T_INTEGER});
      if (a.shape.size() != 2)
        throw file_error(path, "dataset '" + base + "/" + name + "' has shape " +
                                   h5::format_shape(a.shape) + ", expected [T, n]");
      h5::expect_finite(path, base + "/" + name, a);
      log.variables.emplace_back(
          name, Eigen::Map<const row_matrix>(a.values.data(), static_cast<Eigen::Index>(a.shape[0]),
                                             static_cast<Eigen::Index>(a.shape[1])));
    }
    return log;
  });
}

}  // namespace chaoschip::io
