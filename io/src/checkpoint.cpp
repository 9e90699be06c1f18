#include "chaoschip/io/checkpoint.hpp"

#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "h5.hpp"

namespace chaoschip::io {

namespace {

namespace fs = std::filesystem;

constexpr const char* k_format = "chaoschip checkpoint";
constexpr double k_format_version = 1;
const std::array<const char*, 3> k_weights = {"w_in", "w_rec", "w_out"};

// Uncompressed (unlike run files): a checkpoint is rewritten often and read once, and
// compressing a long recording every few iterations would dominate the run time.
template <class T>
void write_plain(const H5::Group& g, const std::string& name, const T* data,
                 const h5::shape_t& shape) {
  const H5::DataSpace space = shape.empty()
                                  ? H5::DataSpace(H5S_SCALAR)
                                  : H5::DataSpace(static_cast<int>(shape.size()), shape.data());
  const H5::DataSet set = g.createDataSet(name, h5::native_type<T>(), space);
  std::size_t n = 1;
  for (hsize_t d : shape) n *= d;
  if (n > 0) set.write(data, h5::native_type<T>());
}

void write_matrix(const H5::Group& g, const std::string& name, const Eigen::MatrixXd& m) {
  const row_matrix rows = m;
  write_plain(g, name, rows.data(),
              {static_cast<hsize_t>(m.rows()), static_cast<hsize_t>(m.cols())});
}

template <class T>
void write_scalar(const H5::Group& g, const std::string& name, T value) {
  write_plain(g, name, &value, {});
}

template <class T>
void write_vector(const H5::Group& g, const std::string& name, const std::vector<T>& v) {
  write_plain(g, name, v.data(), {v.size()});
}

void write_optimizer(const H5::Group& root, const std::string& name,
                     const std::vector<optimizer::slot_state>& slots) {
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const H5::Group g = h5::require_group(root, "optimizer/" + name + "/" + std::to_string(i));
    write_matrix(g, "m", slots[i].m);
    write_matrix(g, "v", slots[i].v);
    write_scalar(g, "b1_power", slots[i].b1_power);
    write_scalar(g, "b2_power", slots[i].b2_power);
  }
}

// Reading: every dataset is required; a missing or ill-shaped one names the file.
struct reader {
  const std::string& path;
  H5::H5File file;

  template <class T>
  h5::array<T> read(const std::string& name, std::size_t rank) const {
    auto a = h5::read_dataset<T>(file, path, name,
                                 {std::is_floating_point_v<T> ? H5T_FLOAT : H5T_INTEGER});
    if (a.shape.size() != rank)
      throw file_error(path, fmt::format("dataset '{}' has rank {}, expected {} (not a complete "
                                         "checkpoint)",
                                         name, a.shape.size(), rank));
    return a;
  }
  template <class T>
  T scalar(const std::string& name) const {
    return read<T>(name, 0).values.front();
  }
  template <class T>
  std::vector<T> vector(const std::string& name) const {
    return read<T>(name, 1).values;
  }
  Eigen::MatrixXd matrix(const std::string& name) const {
    auto a = read<double>(name, 2);
    return Eigen::Map<const row_matrix>(a.values.data(), static_cast<Eigen::Index>(a.shape[0]),
                                        static_cast<Eigen::Index>(a.shape[1]));
  }
  std::vector<std::string> children(const std::string& group) const {
    std::vector<std::string> names;
    if (!h5::exists(file, group)) return names;
    const H5::Group g = file.openGroup(group);
    for (hsize_t i = 0; i < g.getNumObjs(); ++i) names.push_back(g.getObjnameByIdx(i));
    return names;
  }
  std::vector<optimizer::slot_state> optimizer_state(const std::string& name) const {
    std::vector<optimizer::slot_state> slots;
    for (std::size_t i = 0;; ++i) {
      const std::string g = "optimizer/" + name + "/" + std::to_string(i);
      if (!h5::exists(file, g)) return slots;
      slots.push_back({matrix(g + "/m"), matrix(g + "/v"), scalar<double>(g + "/b1_power"),
                       scalar<double>(g + "/b2_power")});
    }
  }
};

// "section.key" -> value, in the order of the TOML text to_toml writes.
std::vector<std::pair<std::string, std::string>> keyed_lines(const std::string& toml) {
  std::vector<std::pair<std::string, std::string>> keys;
  std::istringstream in(toml);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.starts_with("[") && line.ends_with("]")) {
      section = line.substr(1, line.size() - 2) + ".";
    } else if (const auto eq = line.find(" = "); eq != std::string::npos) {
      keys.emplace_back(section + line.substr(0, eq), line.substr(eq + 3));
    }
  }
  return keys;
}

}  // namespace

void write_checkpoint(const std::string& path, const checkpoint& c) {
  const auto held = h5::lock();
  h5::atomic_file out(path);
  h5::guard(path, h5::writing, [&] {
    const H5::H5File& f = out.file();
    h5::write_attribute(f, "format", k_format);
    h5::write_attribute(f, "format_version", k_format_version);
    h5::write_provenance(f, c.config_toml);
    const H5::Group t = h5::require_group(f, "training");
    write_scalar(t, "iteration", c.iteration);
    write_scalar(t, "iterations", c.iterations);
    write_scalar(t, "step", c.step);
    write_scalar(t, "floss_epochs", c.floss_epochs);
    write_scalar(t, "chip_updates", c.chip_updates);
    write_scalar(t, "update_calls", c.update_calls);
    write_scalar(t, "last_loss", c.last_loss);
    const H5::Group w = h5::require_group(f, "weights");
    for (std::size_t i = 0; i < 3; ++i) write_matrix(w, k_weights[i], c.projections[i]);
    for (std::size_t i = 0; i < c.codes.size(); ++i)
      write_matrix(h5::require_group(f, "chip/codes"), k_weights[i], c.codes[i]);
    for (std::size_t i = 0; i < c.shadow.size(); ++i)
      write_matrix(h5::require_group(f, "chip/shadow"), k_weights[i], c.shadow[i]);
    write_optimizer(f, "train", c.train_optimizer);
    write_optimizer(f, "floss", c.floss_optimizer);
    const H5::Group h = h5::require_group(f, "history");
    write_vector(h, "train_loss", c.train_loss);
    write_vector(h, "train_accuracy", c.train_accuracy);
    write_vector(h, "floss_loss", c.floss_loss);
    write_vector(h, "floss_iteration", c.floss_iteration);
    Eigen::MatrixXd exponents(static_cast<Eigen::Index>(c.floss_exponents.size()),
                              c.floss_exponents.empty() ? 0 : c.floss_exponents.front().size());
    for (Eigen::Index i = 0; i < exponents.rows(); ++i)
      exponents.row(i) = c.floss_exponents[static_cast<std::size_t>(i)].transpose();
    write_matrix(h, "floss_exponents", exponents);
    for (const auto& [population, train] : c.spikes) {
      const H5::Group g = h5::require_group(f, "spikes/" + population);
      write_vector(g, "steps", train.steps);
      write_vector(g, "node_ids", train.node_ids);
    }
    for (const auto& [key, values] : c.states)
      write_vector(h5::require_group(f, "states/" + key.first), key.second, values);
  });
  out.commit();
}

checkpoint read_checkpoint(const std::string& path) {
  const auto held = h5::lock();
  const reader r{path, h5::open_read(path)};
  return h5::guard(path, h5::reading, [&] {
    if (h5::read_string_attribute(r.file, "format").value_or("") != k_format)
      throw file_error(path, "is not a chaoschip checkpoint (no format attribute '" +
                                 std::string(k_format) + "')");
    const auto version = h5::read_string_attribute(r.file, "format_version").value_or("?");
    if (version != fmt::format("{}", k_format_version))
      throw file_error(path, "is a checkpoint of format version " + version +
                                 ", this chaoschip reads version 1");
    checkpoint c;
    c.config_toml = h5::read_string_attribute(r.file, "config").value_or("");
    c.iteration = r.scalar<std::int64_t>("training/iteration");
    c.iterations = r.scalar<std::int64_t>("training/iterations");
    c.step = r.scalar<std::int64_t>("training/step");
    c.floss_epochs = r.scalar<std::int64_t>("training/floss_epochs");
    c.chip_updates = r.scalar<std::int64_t>("training/chip_updates");
    c.update_calls = r.scalar<std::uint64_t>("training/update_calls");
    c.last_loss = r.scalar<double>("training/last_loss");
    for (std::size_t i = 0; i < 3; ++i)
      c.projections[i] = r.matrix(std::string("weights/") + k_weights[i]);
    for (const char* group : {"chip/codes", "chip/shadow"}) {
      auto& into = group == std::string("chip/codes") ? c.codes : c.shadow;
      if (h5::exists(r.file, group))
        for (std::size_t i = 0; i < 2; ++i)
          into.push_back(r.matrix(std::string(group) + "/" + k_weights[i]));
    }
    c.train_optimizer = r.optimizer_state("train");
    c.floss_optimizer = r.optimizer_state("floss");
    c.train_loss = r.vector<double>("history/train_loss");
    c.train_accuracy = r.vector<double>("history/train_accuracy");
    c.floss_loss = r.vector<double>("history/floss_loss");
    c.floss_iteration = r.vector<std::int64_t>("history/floss_iteration");
    const Eigen::MatrixXd exponents = r.matrix("history/floss_exponents");
    for (Eigen::Index i = 0; i < exponents.rows(); ++i)
      c.floss_exponents.emplace_back(exponents.row(i).transpose());
    if (c.floss_exponents.size() != c.floss_loss.size() ||
        c.floss_iteration.size() != c.floss_loss.size())
      throw file_error(path, "its flossing history datasets differ in length");
    for (const auto& population : r.children("spikes"))
      c.spikes[population] = {r.vector<std::int64_t>("spikes/" + population + "/steps"),
                              r.vector<std::uint64_t>("spikes/" + population + "/node_ids")};
    for (const auto& population : r.children("states"))
      for (const auto& variable : r.children("states/" + population))
        c.states[{population, variable}] =
            r.vector<double>("states/" + population + "/" + variable);
    return c;
  });
}

void check_same_config(const std::string& path, const checkpoint& c, const run_config& config) {
  auto then = keyed_lines(c.config_toml), now = keyed_lines(to_toml(config));
  // Checkpointing more or less often changes nothing the run computes.
  for (auto* keys : {&then, &now})
    std::erase_if(*keys, [](const auto& kv) { return kv.first == "train.checkpoint_every"; });
  for (std::size_t i = 0; i < std::max(then.size(), now.size()); ++i) {
    const auto* a = i < then.size() ? &then[i] : nullptr;
    const auto* b = i < now.size() ? &now[i] : nullptr;
    if (a && b && *a == *b) continue;
    const std::string key = a ? a->first : b->first;
    const bool same_key = a && b && a->first == b->first;
    throw file_error(
        path, fmt::format("was written with another config: {} = {} in the checkpoint, {} now "
                          "(resume with the config and --set options of the interrupted run)",
                          key, a ? a->second : "(absent)",
                          same_key ? b->second : std::string("(absent)")));
  }
}

void remove_checkpoint(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  // The atomic writer's temporary names: <dir>/.<name>.tmp.<pid>.<counter>.
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on chained operator+.
  std::string prefix = ".";
  prefix.append(p.filename().string()).append(".tmp.");
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().starts_with(prefix)) fs::remove(e.path(), ec);
}

}  // namespace chaoschip::io
