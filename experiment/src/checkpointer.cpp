#include "chaoschip/experiment/checkpointer.hpp"

#include <atomic>
#include <csignal>

#include <fmt/format.h>

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace {

const std::array<const char*, 3> k_weights = {"w_in", "w_rec", "w_out"};

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
    c.projections[i] = s.backend->held_weights(*s.projections[i]);
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
    s.backend->set_held_weights(*s.projections[i], c.projections[i]);
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

}  // namespace chaoschip::experiment
