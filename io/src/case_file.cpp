#include "chaoschip/io/case_file.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "chaoschip/io/memory.hpp"
#include "h5.hpp"

namespace chaoschip::io {

namespace {

// Reads a 2-D floating-point weight matrix of the expected shape, as double.
Eigen::MatrixXd read_weight(const H5::H5File& f, const std::string& path, const std::string& name,
                            std::int64_t rows, std::int64_t cols, const std::string& why) {
  // The declared shape first: a wrong one must not be allocated.
  h5::expect_shape(path, name, h5::open_dataset(f, path, name, {H5T_FLOAT}).second,
                   {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)}, why);
  const auto data = h5::read_dataset<double>(f, path, name, {H5T_FLOAT});
  h5::expect_finite(path, name, data);
  return Eigen::Map<const row_matrix>(data.values.data(), rows, cols);
}

std::uint8_t to_byte(std::int64_t v) {
  return static_cast<std::uint8_t>(v);
}

// Spikes and learning windows are read as int64 (so that neither negative nor wide values
// are clipped into range by HDF5's conversion) and must be 0/1.
void expect_binary(const std::string& path, const std::string& name,
                   const h5::array<std::int64_t>& data) {
  const auto bad = std::find_if(data.values.begin(), data.values.end(),
                                [](std::int64_t v) { return v != 0 && v != 1; });
  if (bad == data.values.end()) return;
  throw file_error(path,
                   fmt::format("dataset '{}' must hold only 0 and 1, found {} at {}", name, *bad,
                               h5::format_index(data.shape, bad - data.values.begin())));
}

// Reading holds the spikes as int64 and as bytes, target and window twice, and the task
// then keeps per-step spike lists: refused before reading when the machine cannot.
void check_case_memory(const std::string& path, const h5::shape_t& shape, std::int64_t n_out) {
  double elements = 1.0;
  for (hsize_t d : shape) elements *= static_cast<double>(d);
  const double steps = elements / static_cast<double>(shape.back());
  memory_estimate need;
  need.add("input_spikes " + h5::format_shape(shape) + ", its target and learning window",
           "task.file = '" + path + "'",
           9.0 * elements + steps * (16.0 * static_cast<double>(n_out) + 40.0));
  require_memory(need, mem_available(), "reading this case file");
}

}  // namespace

weight_set read_case_weights(const std::string& path, std::int64_t n_in, std::int64_t n_rec,
                             std::int64_t n_out) {
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&] {
    const std::string in = fmt::format("network.n_in = {}", n_in);
    const std::string rec = fmt::format("network.n_rec = {}", n_rec);
    const std::string out = fmt::format("network.n_out = {}", n_out);
    weight_set w;
    w.w_in = read_weight(f, path, "weights_in_rec", n_rec, n_in, rec + ", " + in);
    w.w_rec = read_weight(f, path, "weights_rec_rec", n_rec, n_rec, rec);
    w.w_out = read_weight(f, path, "weights_rec_out", n_out, n_rec, out + ", " + rec);
    w.feedback = read_weight(f, path, "weights_out_rec", n_rec, n_out, rec + ", " + out);
    return w;
  });
}

std::vector<case_sequence> read_case_task(const std::string& path, std::int64_t n_in,
                                          std::int64_t n_out, bool require_target) {
  const auto held = h5::lock();
  const H5::H5File f = h5::open_read(path);
  return h5::guard(path, h5::reading, [&] {
    // Shapes are checked as declared, before anything is read.
    const h5::shape_t shape = h5::open_dataset(f, path, "input_spikes", {H5T_INTEGER}).second;
    const std::size_t rank = shape.size();
    if (rank != 2 && rank != 3)
      throw file_error(path, fmt::format("dataset 'input_spikes' has shape {}, expected [T, {}] "
                                         "or [S, T, {}] (network.n_in = {})",
                                         h5::format_shape(shape), n_in, n_in, n_in));
    // Leading dimensions ([T] or [S, T]) that target and learning_window must share.
    const h5::shape_t lead(shape.begin(), shape.end() - 1);
    const hsize_t sequences = rank == 3 ? lead[0] : 1;
    const hsize_t steps = lead.back();
    auto with = [&](hsize_t last) {
      h5::shape_t s = lead;
      s.push_back(last);
      return s;
    };
    h5::expect_shape(path, "input_spikes", shape, with(static_cast<hsize_t>(n_in)),
                     fmt::format("network.n_in = {}", n_in));
    if (sequences == 0 || steps == 0)
      throw file_error(path, fmt::format("dataset 'input_spikes' has shape {}: no time steps",
                                         h5::format_shape(shape)));
    check_case_memory(path, shape, n_out);
    const auto spikes = h5::read_dataset<std::int64_t>(f, path, "input_spikes", {H5T_INTEGER});
    expect_binary(path, "input_spikes", spikes);
    const std::string lead_why =
        rank == 3
            ? fmt::format("input_spikes has S = {} sequences of T = {} steps", sequences, steps)
            : fmt::format("input_spikes has T = {} steps", steps);

    const bool has_target = require_target || h5::exists(f, "target");
    if (!has_target) n_out = 0;  // simulation only: no target, no loss
    h5::array<double> target;
    if (has_target) {
      h5::expect_shape(path, "target",
                       h5::open_dataset(f, path, "target", {H5T_FLOAT, H5T_INTEGER}).second,
                       with(static_cast<hsize_t>(n_out)),
                       fmt::format("{}, network.n_out = {}", lead_why, n_out));
      target = h5::read_dataset<double>(f, path, "target", {H5T_FLOAT, H5T_INTEGER});
      h5::expect_finite(path, "target", target);
    }

    std::vector<std::int64_t> window(sequences * steps, 1);
    if (h5::exists(f, "learning_window")) {
      h5::expect_shape(path, "learning_window",
                       h5::open_dataset(f, path, "learning_window", {H5T_INTEGER}).second, lead,
                       lead_why);
      const auto w = h5::read_dataset<std::int64_t>(f, path, "learning_window", {H5T_INTEGER});
      expect_binary(path, "learning_window", w);
      window = w.values;
    }

    const auto t = static_cast<Eigen::Index>(steps);
    std::vector<case_sequence> result(sequences);
    for (std::size_t s = 0; s < sequences; ++s) {
      const auto first_spike =
          spikes.values.begin() + static_cast<std::ptrdiff_t>(s * steps * n_in);
      result[s].input_spikes.resize(t, n_in);
      std::transform(first_spike, first_spike + t * n_in, result[s].input_spikes.data(), to_byte);
      if (has_target)
        result[s].target =
            Eigen::Map<const row_matrix>(target.values.data() + s * steps * n_out, t, n_out);
      const auto first_window = window.begin() + static_cast<std::ptrdiff_t>(s * steps);
      result[s].learning_window.resize(steps);
      std::transform(first_window, first_window + t, result[s].learning_window.begin(), to_byte);
    }
    return result;
  });
}

}  // namespace chaoschip::io
