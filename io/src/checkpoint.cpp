#include "chaoschip/io/checkpoint.hpp"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "chaoschip/neuromorphic/loihi.hpp"
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

void expect_matrix(const std::string& path, const std::string& name, const Eigen::MatrixXd& m,
                   Eigen::Index rows, Eigen::Index cols) {
  if (m.rows() != rows || m.cols() != cols)
    throw file_error(path, fmt::format("'{}' is [{}, {}], the run's network needs [{}, {}]", name,
                                       m.rows(), m.cols(), rows, cols));
}

// The optimizer's moments are empty before a slot's first step, else the weights' shape.
void restore_optimizer(const std::string& path, const std::string& name,
                       const std::vector<optimizer::slot_state>& slots, optimizer& o,
                       const std::array<projection*, 3>& p) {
  if (slots.size() != o.state().size())
    throw file_error(path, fmt::format("optimizer '{}' has {} slots, expected {}", name,
                                       slots.size(), o.state().size()));
  for (std::size_t i = 0; i < slots.size(); ++i) {
    for (const auto* m : {&slots[i].m, &slots[i].v})
      if (m->size() > 0)
        expect_matrix(path, fmt::format("optimizer/{}/{}", name, i), *m,
                      static_cast<Eigen::Index>(p[i]->n_post()),
                      static_cast<Eigen::Index>(p[i]->n_pre()));
  }
  o.restore(slots);
}

void restore_records(const checkpoint& c, const training_state& s, const std::string& path) {
  std::size_t spikes = 0, states = 0;
  for (const auto& [id, train] : s.spikes->all()) {
    const auto it = c.spikes.find(s.net->name(id));
    if (it == c.spikes.end() || it->second.steps.size() != it->second.node_ids.size())
      throw file_error(path, "has no complete spikes of population '" + s.net->name(id) + "'");
    s.spikes->restore(id, it->second);
    ++spikes;
  }
  for (const auto& [key, series] : s.states->all()) {
    const auto it = c.states.find({s.net->name(key.first), key.second});
    if (it == c.states.end() || it->second.size() % series.n != 0)
      throw file_error(
          path, "has no complete states '" + s.net->name(key.first) + "/" + key.second + "'");
    s.states->restore(key, it->second);
    ++states;
  }
  if (spikes != c.spikes.size() || states != c.states.size())
    throw file_error(path, "records other populations than the run does");
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

checkpoint capture_training(const training_state& s, const std::string& config_toml,
                            std::int64_t iteration, std::int64_t iterations) {
  checkpoint c;
  c.config_toml = config_toml;
  c.iteration = iteration;
  c.iterations = iterations;
  c.step = *s.step;
  c.floss_epochs = *s.floss_epochs;
  c.chip_updates = *s.chip_updates;
  c.update_calls = s.updates->calls();
  c.last_loss = *s.last_loss;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto* loihi = dynamic_cast<const neuromorphic::loihi_dense*>(s.projections[i]);
    c.projections[i] = loihi ? loihi->integer_weights() : s.projections[i]->to_dense();
  }
  if (s.chip) c.codes = {s.chip->w_in.codes, s.chip->w_rec.codes};
  if (s.shadow) c.shadow = {(*s.shadow)[0], (*s.shadow)[1]};
  c.train_optimizer = s.train_optimizer->state();
  c.floss_optimizer = s.floss_optimizer->state();
  c.train_loss = s.out->train_loss;
  c.train_accuracy = s.out->train_accuracy;
  c.floss_loss = s.out->floss_loss;
  c.floss_exponents = s.out->floss_exponents;
  c.floss_iteration = s.out->floss_iteration;
  for (const auto& [id, train] : s.spikes->all()) c.spikes[s.net->name(id)] = train;
  for (const auto& [key, series] : s.states->all())
    c.states[{s.net->name(key.first), key.second}] = series.values;
  return c;
}

void restore_training(const checkpoint& c, const training_state& s, const std::string& path) {
  for (std::size_t i = 0; i < 3; ++i)
    expect_matrix(path, std::string("weights/") + k_weights[i], c.projections[i],
                  static_cast<Eigen::Index>(s.projections[i]->n_post()),
                  static_cast<Eigen::Index>(s.projections[i]->n_pre()));
  if (c.codes.size() != (s.chip ? 2u : 0u) || c.shadow.size() != (s.shadow ? 2u : 0u))
    throw file_error(path, "its chip codes or shadow weights do not fit the run's chip profile");
  for (std::size_t i = 0; i < c.codes.size(); ++i)
    expect_matrix(path, std::string("chip/codes/") + k_weights[i], c.codes[i],
                  c.projections[i].rows(), c.projections[i].cols());
  for (std::size_t i = 0; i < c.shadow.size(); ++i)
    expect_matrix(path, std::string("chip/shadow/") + k_weights[i], c.shadow[i],
                  c.projections[i].rows(), c.projections[i].cols());
  restore_optimizer(path, "train", c.train_optimizer, *s.train_optimizer, s.projections);
  restore_optimizer(path, "floss", c.floss_optimizer, *s.floss_optimizer, s.projections);
  restore_records(c, s, path);
  for (std::size_t i = 0; i < 3; ++i) {
    if (auto* loihi = dynamic_cast<neuromorphic::loihi_dense*>(s.projections[i]))
      loihi->set_integer_weights(c.projections[i]);
    else
      s.projections[i]->assign(c.projections[i]);
  }
  if (s.chip) {
    s.chip->w_in.codes = c.codes[0];
    s.chip->w_rec.codes = c.codes[1];
  }
  if (s.shadow) *s.shadow = {c.shadow[0], c.shadow[1]};
  *s.step = c.step;
  *s.floss_epochs = c.floss_epochs;
  *s.chip_updates = c.chip_updates;
  *s.last_loss = c.last_loss;
  s.updates->resume_at(c.update_calls);
  s.out->train_loss = c.train_loss;
  s.out->train_accuracy = c.train_accuracy;
  s.out->floss_loss = c.floss_loss;
  s.out->floss_exponents = c.floss_exponents;
  s.out->floss_iteration = c.floss_iteration;
}

training_interrupted::training_interrupted(std::int64_t iteration, std::int64_t iterations,
                                           std::string checkpoint)
    : error(fmt::format("interrupted at iteration {}/{}; checkpoint written to {}", iteration,
                        iterations, checkpoint)),
      iteration_(iteration),
      iterations_(iterations),
      path_(std::move(checkpoint)) {}

namespace {
// A signal handler can only reach static storage: the one flag of the one live watch.
std::atomic<bool> sigint_raised{false};
std::atomic<bool> sigint_watched{false};
struct sigaction previous_sigint {};

extern "C" void on_sigint(int) {
  if (sigint_raised.exchange(true)) {
    // The second SIGINT: end the process as before the watch (both calls are async-signal-safe).
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}
}  // namespace

sigint_watch::sigint_watch() {
  if (sigint_watched.exchange(true)) throw error("sigint_watch: one at a time");
  sigint_raised = false;
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previous_sigint);
}

sigint_watch::~sigint_watch() {
  sigaction(SIGINT, &previous_sigint, nullptr);
  sigint_watched = false;
}

bool sigint_watch::raised() const noexcept {
  return sigint_raised;
}

checkpointer::checkpointer(const training_control& control, const training_state& state,
                           const run_config& config, std::int64_t iterations)
    : control_(control),
      state_(state),
      config_(config),
      config_toml_(to_toml(config)),
      every_(config.train.checkpoint_every),
      iterations_(iterations) {
  if (control.catch_sigint && !control.checkpoint_path.empty()) watch_.emplace();
}

std::int64_t checkpointer::start() {
  if (!control_.resume) return 0;
  const checkpoint& c = *control_.resume;
  check_same_config(control_.resume_path, c, config_);
  if (c.iteration < 0 || c.iteration > iterations_)
    throw file_error(
        control_.resume_path,
        fmt::format("holds iteration {}, outside the run's 0..{}", c.iteration, iterations_));
  restore_training(c, state_, control_.resume_path);
  first_ = c.iteration;
  return first_;
}

void checkpointer::at(std::int64_t done) {
  const bool interrupted = watch_ && watch_->raised();
  const bool due = every_ > 0 && done > first_ && done % every_ == 0;
  if (control_.checkpoint_path.empty() || !(interrupted || due)) return;
  write_checkpoint(control_.checkpoint_path,
                   capture_training(state_, config_toml_, done, iterations_));
  if (interrupted) throw training_interrupted(done, iterations_, control_.checkpoint_path);
}

}  // namespace chaoschip::io
