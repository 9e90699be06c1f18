#include "chaoschip/io/run_file.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iterator>
#include <numeric>
#include <stdexcept>

#include "h5.hpp"
#include "nir_rules.hpp"

namespace chaoschip::io {

namespace {

void write_attribute(const H5::H5Object& object, const std::string& name,
                     const attribute_value& value) {
  std::visit([&](const auto& v) { h5::write_attribute(object, name, v); }, value);
}

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
  for (const auto& [name, value] : chip.parameters) {
    std::vector<std::int64_t> ints(static_cast<std::size_t>(value.size()));
    for (Eigen::Index i = 0; i < value.size(); ++i) {
      if (value[i] != std::round(value[i]) || !std::isfinite(value[i]))
        throw std::invalid_argument("chip parameter '" + name + "' is not an integer");
      ints[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(value[i]);
    }
    h5::write_dataset(g, name, ints.data(), {ints.size()});
  }
  h5::write_dataset(g, "sigma", &chip.sigma, {1});
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
  h5::write_attribute(g, "steps", l.steps);
  h5::write_attribute(g, "warmup", l.warmup);
  h5::write_attribute(g, "ons_interval", l.ons_interval);
  h5::write_attribute(g, "dt", l.dt);
  if (!std::isnan(l.twin)) h5::write_attribute(g, "twin_lambda_max", l.twin);
}

void write_series(const H5::Group& root, const std::string& name, const std::vector<double>& v) {
  if (v.empty()) return;
  h5::write_dataset(h5::require_group(root, "train"), name, v.data(), {v.size()});
}

}  // namespace

void write_run_file(const std::string& path, const run_data& data) {
  const auto held = h5::lock();
  h5::atomic_file out(path);
  h5::guard(path, h5::writing, [&] {
    const H5::H5File& f = out.file();
    // Extras first, so they can never replace the four attributes every run file carries.
    for (const auto& [key, value] : data.root_attributes) write_attribute(f, key, value);
    h5::write_provenance(f, data.config_toml);
    const auto* chip = data.chip ? &*data.chip : nullptr;
    if (data.initial) write_weights(f, "initial", *data.initial, chip ? &chip->initial : nullptr);
    if (data.final) write_weights(f, "final", *data.final, chip ? &chip->final : nullptr);
    if (chip) write_chip(f, *chip);
    if (data.graph) write_nir_group(h5::require_group(f, "nir"), *data.graph);
    for (const auto& s : data.spikes) write_spikes(f, s);
    for (const auto& s : data.states) write_states(f, s);
    for (const auto& [population, attributes] : data.states_attributes)
      for (const auto& [key, value] : attributes)
        write_attribute(h5::require_group(f, "states/" + population), key, value);
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

}  // namespace chaoschip::io
