// `chaoschip info`: a summary of a run file, or of a sweep's summary.h5. Tolerant by
// design (any HDF5 file gets a listing), but never misleading: integer codes are shown
// with their scale, Lyapunov groups in the order they were measured, and external links
// are listed, not followed.
#include <H5Lpublic.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>

#include "chaoschip/io/run_file.hpp"
#include "h5.hpp"

namespace chaoschip::io {

std::string format_kaplan_yorke(double dimension, std::int64_t k) {
  if (std::isfinite(dimension)) return fmt::format("{:.4g}", dimension);
  // NaN: the k exponents all have partial sums >= 0, so the dimension is at least k and the
  // missing exponents decide the rest.
  const std::string why = k == 1 ? std::string("k = 1 and lambda_1 >= 0")
                                 : fmt::format("the k = {} exponents sum to >= 0", k);
  return fmt::format("n/a ({}: the dimension is >= {}; raise lyapunov.k)", why, k);
}

namespace {

// The handful of config values the summary shows; any may be missing.
struct config_view {
  std::optional<std::string> model, profile, source, file;
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
    c.profile = t["chip"]["profile"].value<std::string>();
    c.source = t["network"]["source"].value<std::string>();
    c.file = t["network"]["file"].value<std::string>();
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

struct moments {
  double mean = 0, std = 0, max_abs = 0;
};

moments moments_of(const std::vector<double>& values) {
  const auto n = static_cast<double>(values.size());
  double sum = 0, sum2 = 0, max_abs = 0;
  for (double v : values) {
    sum += v;
    sum2 += v * v;
    max_abs = std::max(max_abs, std::abs(v));
  }
  const double mean = n > 0 ? sum / n : 0;
  return {mean, std::sqrt(n > 0 ? std::max(0.0, sum2 / n - mean * mean) : 0.0), max_abs};
}

// Integer codes with their `scale` attribute: the codes' range, the scale, and the float
// weights they stand for (codes x scale, per row when there is one scale per row). Codes
// without a readable scale are labelled as raw codes.
std::string describe_codes(const H5::DataSet& set, h5::array<double>& w) {
  const auto [lo, hi] = std::minmax_element(w.values.begin(), w.values.end());
  std::string text =
      w.values.empty() ? std::string("codes") : fmt::format("codes in [{}, {}]", *lo, *hi);
  const std::size_t rows = w.shape.empty() ? 0 : w.shape[0];
  std::vector<double> scale;
  if (set.attrExists("scale")) {
    const H5::Attribute a = set.openAttribute("scale");
    scale.resize(static_cast<std::size_t>(a.getSpace().getSimpleExtentNpoints()));
    if (a.getTypeClass() == H5T_FLOAT && !scale.empty())
      a.read(H5::PredType::NATIVE_DOUBLE, scale.data());
    else
      scale.clear();
  }
  if (scale.empty() || w.shape.size() != 2 || (scale.size() != 1 && scale.size() != rows))
    return text + " (no usable 'scale' attribute: statistics of the raw codes)";
  const std::size_t cols = w.shape[1];
  for (std::size_t i = 0; i < w.values.size(); ++i)
    w.values[i] *= scale.size() == 1 ? scale[0] : scale[i / cols];
  const auto [s_lo, s_hi] = std::minmax_element(scale.begin(), scale.end());
  return text + (scale.size() == 1 ? fmt::format(" x scale {:.4g}", scale[0])
                                   : fmt::format(" x scale per row {:.4g}..{:.4g}", *s_lo, *s_hi));
}

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
      const bool codes = set.getTypeClass() == H5T_INTEGER;
      if (codes || name == "w_rec") {
        auto w = h5::read_dataset<double>(f, path, group + "/" + name, {H5T_FLOAT, H5T_INTEGER});
        if (codes) fmt::format_to(out, " {}", describe_codes(set, w));
        if (name == "w_rec") {
          const moments m = moments_of(w.values);
          fmt::format_to(out, "  mean {:.4g}, std {:.4g}, max |w| {:.4g}", m.mean, m.std,
                         m.max_abs);
        }
      }
      fmt::format_to(out, "\n");
    }
  }
}

// The size of a NIR graph's population from the run file's /nir graph: its Input's shape,
// or the length of a neuron node's `r` (every neuron type has one); 0 when unknown.
std::int64_t graph_population_size(const H5::H5File& f, const std::string& path,
                                   const std::string& population) {
  const std::string node = "nir/node/nodes/" + population;
  for (const char* name : {"/shape", "/r"}) {
    if (!h5::exists(f, node + name)) continue;
    const auto a = h5::read_dataset<double>(f, path, node + name, {H5T_INTEGER, H5T_FLOAT});
    if (std::string_view(name) == "/r") return static_cast<std::int64_t>(a.values.size());
    double product = 1;
    for (double x : a.values) product *= x;
    return static_cast<std::int64_t>(product);
  }
  return 0;
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
    // (A NIR graph's populations are named after its nodes; their sizes are the graph's.)
    const bool graph = c.source == std::string("nir");
    std::int64_t size = graph                       ? 0
                        : population == "recurrent" ? c.n_rec.value_or(0)
                        : population == "input"     ? c.n_in.value_or(0)
                                                    : 0;
    if (graph) size = graph_population_size(f, path, population);
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

void summarize_spectrum(const H5::H5File& f, const std::string& path, const std::string& when,
                        out_it out) {
  const std::string base = "lyapunov/" + when;
  const auto v = h5::read_dataset<double>(f, path, base + "/exponents", {H5T_FLOAT}).values;
  const std::size_t shown = std::min<std::size_t>(v.size(), 5);
  const H5::Group g = f.openGroup(base);
  const auto jacobian = h5::read_string_attribute(g, "jacobian");
  fmt::format_to(out, "lyapunov {}: k = {}, exponents {:.5g}{} per step{}", when, v.size(),
                 fmt::join(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                 shown < v.size() ? ", ..." : "",
                 jacobian && !jacobian->empty() ? " (" + *jacobian + ")" : "");
  if (const auto ky = to_number(h5::read_string_attribute(g, "kaplan_yorke_dimension")))
    fmt::format_to(out, "; Kaplan-Yorke {}",
                   format_kaplan_yorke(*ky, static_cast<std::int64_t>(v.size())));
  if (const auto h = to_number(h5::read_string_attribute(g, "entropy_rate")))
    fmt::format_to(out, ", entropy {:.4g} per step", *h);
  fmt::format_to(out, "\n");
}

void summarize_lyapunov(const H5::H5File& f, const std::string& path, out_it out) {
  if (!h5::exists(f, "lyapunov")) return;
  const H5::Group lyapunov = f.openGroup("lyapunov");
  // HDF5 lists names alphabetically ("after" first); the order of measurement is before,
  // after, then anything else.
  std::vector<std::string> names;
  for (hsize_t i = 0; i < lyapunov.getNumObjs(); ++i) names.push_back(lyapunov.getObjnameByIdx(i));
  auto rank = [](const std::string& n) { return n == "before" ? 0 : n == "after" ? 1 : 2; };
  std::stable_sort(names.begin(), names.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  for (const auto& when : names)
    if (h5::exists(f, "lyapunov/" + when + "/exponents")) summarize_spectrum(f, path, when, out);
  if (h5::exists(f, "floss/loss")) {
    const auto loss = h5::read_dataset<double>(f, path, "floss/loss", {H5T_FLOAT}).values;
    if (!loss.empty())
      fmt::format_to(out, "flossing: {} epochs, loss {:.5g} -> {:.5g}\n", loss.size(), loss.front(),
                     loss.back());
  }
}

// A 1-D dataset of strings (h5py's variable-length str, as the sweep summary writes them).
std::vector<std::string> read_strings(const H5::Group& g, const std::string& name) {
  const H5::DataSet set = g.openDataSet(name);
  if (set.getTypeClass() != H5T_STRING) return {};
  const H5::StrType type = set.getStrType();
  const H5::DataSpace space = set.getSpace();
  std::vector<std::string> out(static_cast<std::size_t>(space.getSimpleExtentNpoints()));
  if (out.empty() || !type.isVariableStr()) return out;
  h5::check_string_references(g.getFileName(), set, name, out.size());
  std::vector<char*> raw(out.size(), nullptr);
  set.read(raw.data(), type);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = raw[i] ? raw[i] : "";
  H5Dvlen_reclaim(type.getId(), space.getId(), H5P_DEFAULT, raw.data());
  return out;
}

// A grid axis's distinct values in order of appearance, as text.
std::vector<std::string> axis_values(const H5::H5File& f, const std::string& path,
                                     const std::string& key) {
  std::vector<std::string> values;
  if (!h5::exists(f, key)) return values;
  if (f.openDataSet(key).getTypeClass() == H5T_STRING) {
    values = read_strings(f, key);
  } else {
    for (double v : h5::read_dataset<double>(f, path, key, {H5T_FLOAT, H5T_INTEGER}).values)
      values.push_back(fmt::format("{}", v));
  }
  std::vector<std::string> distinct;
  for (auto& v : values)
    if (std::find(distinct.begin(), distinct.end(), v) == distinct.end()) distinct.push_back(v);
  return distinct;
}

// DIR/summary.h5 of `chaoschip sweep`: its table, not the point files it links to.
void summarize_sweep(const H5::H5File& f, const std::string& path, out_it out) {
  const auto keys = read_strings(f, "grid_keys");
  const auto status =
      h5::exists(f, "status") ? read_strings(f, "status") : std::vector<std::string>{};
  const auto count = [&](const char* s) { return std::count(status.begin(), status.end(), s); };
  fmt::format_to(out, "sweep summary: {} points: {} ok, {} failed, {} missing\n", status.size(),
                 count("ok"), count("failed"), count("missing"));
  for (const auto& key : keys) {
    const auto v = axis_values(f, path, key);
    fmt::format_to(out, "  grid {} ({} values): {}\n", key, v.size(), fmt::join(v, ", "));
  }
  const auto seeds = axis_values(f, path, "seed");
  fmt::format_to(out, "  seeds ({}): {}\n", seeds.size(), fmt::join(seeds, ", "));
  if (count("failed") > 0 && h5::exists(f, "error") && h5::exists(f, "file")) {
    const auto errors = read_strings(f, "error"), files = read_strings(f, "file");
    std::size_t shown = 0;
    for (std::size_t i = 0; i < status.size() && i < errors.size() && i < files.size(); ++i)
      if (status[i] == "failed" && shown++ < 5)
        fmt::format_to(out, "  failed: {}: {}\n", files[i], errors[i]);
  }
  for (const char* column :
       {"final_loss", "final_accuracy", "lambda_max_before", "lambda_max_after"}) {
    if (!h5::exists(f, column)) continue;
    std::vector<double> v;
    for (double x : h5::read_dataset<double>(f, path, column, {H5T_FLOAT}).values)
      if (std::isfinite(x)) v.push_back(x);
    if (v.empty()) continue;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    fmt::format_to(out, "  {}: {:.5g} .. {:.5g} over {} points\n", column, *lo, *hi, v.size());
  }
  fmt::format_to(out, "(each point is a run file: chaoschip info DIR/point_iiii.h5)\n");
}

// Every dataset with its shape and type, depth first in name order. External and soft
// links are listed as links, never followed (a sweep summary links every point file).
void list_datasets(const H5::Group& group, const std::string& prefix, out_it out) {
  std::size_t external = 0;
  for (hsize_t i = 0; i < group.getNumObjs(); ++i) {
    const std::string name = group.getObjnameByIdx(i);
    const std::string full = prefix + "/" + name;
    H5L_info_t link{};
    if (H5Lget_info(group.getId(), name.c_str(), &link, H5P_DEFAULT) < 0) continue;
    if (link.type == H5L_TYPE_EXTERNAL) {
      ++external;
      continue;
    }
    if (link.type != H5L_TYPE_HARD) continue;
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
  if (external > 0)
    fmt::format_to(out, "  {:<40} {} external link{} (not followed)\n", prefix + "/*", external,
                   external == 1 ? "" : "s");
}

}  // namespace

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
    config_view c = parse_config(config_text);
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
      if (c.source == std::string("nir")) {
        parts.push_back("NIR graph " + c.file.value_or("?") + " (/nir)");
        c.n_in.reset();
        c.n_rec.reset();
        c.n_out.reset();
        c.gain.reset();
      } else if (c.model) {
        parts.push_back("model " + *c.model);
      }
      if (c.n_in) parts.push_back(fmt::format("n_in {}", *c.n_in));
      if (c.n_rec) parts.push_back(fmt::format("n_rec {}", *c.n_rec));
      if (c.n_out) parts.push_back(fmt::format("n_out {}", *c.n_out));
      if (c.gain) parts.push_back(fmt::format("gain {}", *c.gain));
      if (c.dt) parts.push_back(fmt::format("dt {} ms", *c.dt));
      if (c.profile && *c.profile != "float64") parts.push_back("chip " + *c.profile);
      fmt::format_to(out, "network:  {}\n", fmt::join(parts, ", "));
    }
    if (h5::exists(f, "grid_keys") && h5::exists(f, "status")) {
      summarize_sweep(f, path, out);
    } else {
      summarize_weights(f, path, out);
      summarize_spikes(f, path, c, to_number(h5::read_string_attribute(f, "steps")), out);
      summarize_training(f, path, out);
      summarize_lyapunov(f, path, out);
    }
    fmt::format_to(out, "datasets:\n");
    list_datasets(f, "", out);
    return text;
  });
}

}  // namespace chaoschip::io
