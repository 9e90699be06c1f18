// Checkpoints: the file round trip, the state each consumer hands over (optimizer moments,
// the stochastic-rounding source's position), and run_experiment resumed from a checkpoint
// written mid-training (periodically, or on SIGINT) giving the uninterrupted run's data.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "chaoschip/core/optimizer.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/io/checkpoint.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace chaoschip;
using Catch::Matchers::Contains;
using chaoschip::test::file_error_message;
using chaoschip::test::scratch_dir;

namespace {

Eigen::MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, random_stream& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal() * 1e-3;
  return m;
}

// Bit for bit, NaN included.
bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}
bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

io::checkpoint sample_checkpoint() {
  random_stream rng(7, "test.checkpoint");
  io::checkpoint c;
  c.config_toml = io::to_toml(io::parse_config("", "test"));
  c.iteration = 3;
  c.iterations = 10;
  c.step = 3000;
  c.floss_epochs = 4;
  c.chip_updates = 6;
  c.update_calls = 6;
  c.last_loss = std::numeric_limits<double>::quiet_NaN();
  c.projections = {random_matrix(5, 3, rng), random_matrix(5, 5, rng), random_matrix(2, 5, rng)};
  c.codes = {random_matrix(5, 3, rng).array().round(), random_matrix(5, 5, rng).array().round()};
  c.shadow = {random_matrix(5, 3, rng), random_matrix(5, 5, rng)};
  c.train_optimizer.resize(3);
  c.train_optimizer[1] = {random_matrix(5, 5, rng), random_matrix(5, 5, rng), 0.9 * 0.9, 0.998};
  c.floss_optimizer.resize(2);  // no step yet: empty moments
  c.train_loss = {1.5, 1.25, 1.0 / 3.0};
  c.train_accuracy = {0.0, 0.5, 1.0};
  c.floss_loss = {0.1, 0.2};
  c.floss_exponents = {Eigen::Vector2d(-0.1, -0.2), Eigen::Vector2d(0.05, -0.3)};
  c.floss_iteration = {0, 2};
  c.spikes["recurrent"] = {{1, 5, 5, 2999}, {0, 4, 1, 3}};
  c.spikes["input"] = {};
  c.states[{"recurrent", "v"}] = {0.5, -1.0, 0.25, 1e-300};
  return c;
}

// A small LIF e-prop run with Adam, spikes and states recorded.
io::run_config small_run(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> sets = {
      "network.n_in=12",    "network.n_rec=16",          "network.n_out=1",
      "task.steps=80",      "train.rule=\"eprop\"",      "train.optimizer=\"adam\"",
      "train.eta=5e-3",     "train.iterations=5",        "lyapunov.steps=50",
      "lyapunov.warmup=10", "lyapunov.when=[\"after\"]", "record.states=true"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  return io::parse_config("", "test", sets);
}

experiment::training_control writing(const std::string& path, bool sigint = false) {
  experiment::training_control c;
  c.checkpoint_path = path;
  c.catch_sigint = sigint;
  return c;
}

experiment::training_control resuming(const io::checkpoint& from, const std::string& path) {
  experiment::training_control c;
  c.resume = &from;
  c.resume_path = path;
  return c;
}

void require_same_run(const io::run_data& a, const io::run_data& b) {
  REQUIRE(a.train_loss == b.train_loss);
  REQUIRE(a.floss_loss == b.floss_loss);
  REQUIRE(same_bits(a.final->w_in, b.final->w_in));
  REQUIRE(same_bits(a.final->w_rec, b.final->w_rec));
  REQUIRE(same_bits(a.final->w_out, b.final->w_out));
  REQUIRE(a.spikes.size() == b.spikes.size());
  for (std::size_t i = 0; i < a.spikes.size(); ++i) {
    REQUIRE(a.spikes[i].timestamps == b.spikes[i].timestamps);
    REQUIRE(a.spikes[i].node_ids == b.spikes[i].node_ids);
  }
  REQUIRE(a.states.size() == b.states.size());
  for (std::size_t i = 0; i < a.states.size(); ++i)
    REQUIRE(a.states[i].values == b.states[i].values);
  REQUIRE(a.chip.has_value() == b.chip.has_value());
  if (a.chip) {
    for (const char* w : {"w_in", "w_rec"})
      REQUIRE(same_bits(a.chip->final.at(w).codes, b.chip->final.at(w).codes));
    REQUIRE(a.chip->shadow.size() == b.chip->shadow.size());
    for (const auto& [name, m] : a.chip->shadow) REQUIRE(same_bits(m, b.chip->shadow.at(name)));
  }
  REQUIRE(same_bits(a.lyapunov.at(0).second.exponents, b.lyapunov.at(0).second.exponents));
}

}  // namespace

TEST_CASE("a checkpoint file keeps every value bit for bit", "[checkpoint]") {
  scratch_dir dir;
  const std::string path = (dir.path / "run.h5.ckpt").string();
  const io::checkpoint c = sample_checkpoint();
  io::write_checkpoint(path, c);
  REQUIRE(dir.entries() == std::vector<std::string>{"run.h5.ckpt"});  // no temporary left
  const io::checkpoint r = io::read_checkpoint(path);
  CHECK(r.config_toml == c.config_toml);
  CHECK(r.iteration == 3);
  CHECK(r.iterations == 10);
  CHECK(r.step == 3000);
  CHECK(r.floss_epochs == 4);
  CHECK(r.chip_updates == 6);
  CHECK(r.update_calls == 6);
  CHECK(same_bits(r.last_loss, c.last_loss));
  for (std::size_t i = 0; i < 3; ++i) CHECK(same_bits(r.projections[i], c.projections[i]));
  REQUIRE(r.codes.size() == 2);
  REQUIRE(r.shadow.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(same_bits(r.codes[i], c.codes[i]));
    CHECK(same_bits(r.shadow[i], c.shadow[i]));
  }
  REQUIRE(r.train_optimizer.size() == 3);
  REQUIRE(r.floss_optimizer.size() == 2);
  CHECK(same_bits(r.train_optimizer[1].m, c.train_optimizer[1].m));
  CHECK(same_bits(r.train_optimizer[1].v, c.train_optimizer[1].v));
  CHECK(same_bits(r.train_optimizer[1].b1_power, 0.9 * 0.9));
  CHECK(r.train_optimizer[0].m.size() == 0);
  CHECK(r.floss_optimizer[1].b2_power == 1.0);
  CHECK(r.train_loss == c.train_loss);
  CHECK(r.train_accuracy == c.train_accuracy);
  CHECK(r.floss_loss == c.floss_loss);
  CHECK(r.floss_iteration == c.floss_iteration);
  REQUIRE(r.floss_exponents.size() == 2);
  CHECK(r.floss_exponents[1] == c.floss_exponents[1]);
  CHECK(r.spikes.at("recurrent").steps == c.spikes.at("recurrent").steps);
  CHECK(r.spikes.at("recurrent").node_ids == c.spikes.at("recurrent").node_ids);
  CHECK(r.spikes.at("input").steps.empty());
  CHECK(r.states.at({"recurrent", "v"}) == c.states.at({"recurrent", "v"}));
}

TEST_CASE("a restored optimizer continues bit for bit", "[checkpoint]") {
  for (const auto kind : {optimizer_kind::adam, optimizer_kind::sgd}) {
    const optimizer_settings s{.kind = kind, .eta = 1e-2, .momentum = 0.9};
    random_stream rng(3, "test.optimizer");
    Eigen::MatrixXd w = random_matrix(4, 3, rng);
    optimizer a(s, 2);
    for (int i = 0; i < 3; ++i) a.step(0, w, random_matrix(4, 3, rng));
    // Through a checkpoint file, as a resumed run gets it.
    scratch_dir dir;
    io::checkpoint c = sample_checkpoint();
    c.train_optimizer = a.state();
    c.floss_optimizer.clear();
    io::write_checkpoint((dir.path / "c").string(), c);
    optimizer b(s, 2);
    b.restore(io::read_checkpoint((dir.path / "c").string()).train_optimizer);
    Eigen::MatrixXd wa = w, wb = w;
    for (int i = 0; i < 3; ++i) {
      const Eigen::MatrixXd g = random_matrix(4, 3, rng);
      a.step(0, wa, g);
      b.step(0, wb, g);
      a.step(1, wa, g);  // slot 1: its first step after the restore, in both
      b.step(1, wb, g);
    }
    CHECK(same_bits(wa, wb));
    // Without the state the continuation differs: the test can fail.
    optimizer fresh(s, 2);
    Eigen::MatrixXd wf = w;
    fresh.step(0, wf, random_matrix(4, 3, rng));
    CHECK_FALSE(same_bits(wf, wa));
    CHECK_THROWS_AS(optimizer(s, 3).restore(a.state()), error);
  }
}

TEST_CASE("a stochastic source resumed at its call count continues its numbers", "[checkpoint]") {
  neuromorphic::stochastic_source a(5, "chip.updates");
  for (int i = 0; i < 7; ++i) a.next_call();
  neuromorphic::stochastic_source b(5, "chip.updates");
  b.resume_at(a.calls());
  CHECK(b.calls() == 7);
  const std::uint64_t ca = a.next_call(), cb = b.next_call();
  REQUIRE(ca == cb);
  for (std::uint64_t i = 0; i < 100; ++i) CHECK(a.uniform(ca, i) == b.uniform(cb, i));
  neuromorphic::stochastic_source fresh(5, "chip.updates");
  CHECK(fresh.uniform(fresh.next_call(), 0) != a.uniform(ca, 0));
}

TEST_CASE("a run resumed from a mid-training checkpoint gives the uninterrupted run",
          "[checkpoint]") {
  const std::vector<std::vector<std::string>> variants = {
      {},  // LIF, e-prop, Adam, spikes and states recorded
      {"network.model=\"rate\"", "train.rule=\"bptt\"", "train.optimizer=\"sgd\"",
       "train.momentum=0.9", "task.name=\"dms\"", "task.delay=10", "network.n_out=2",
       "readout.loss=\"cross_entropy\"", "floss.enabled=true", "floss.variant=\"bptt\"",
       "floss.pre_epochs=2", "floss.every=2", "floss.epochs=1", "floss.steps=20", "floss.warmup=5"},
      {"chip.profile=\"loihi\"", "chip.update_rounding=\"stochastic\"",
       "chip.update_mode=\"shadow\"", "train.batch=2"}};
  for (const auto& extra : variants) {
    const io::run_config plain = small_run(extra);
    auto every = extra;
    every.push_back("train.checkpoint_every=2");
    const io::run_config config = small_run(every);
    const io::run_data whole = experiment::run_experiment(plain);

    scratch_dir dir;
    const auto write = writing((dir.path / "out.h5.ckpt").string());
    const io::run_data checkpointed = experiment::run_experiment(config, {}, nullptr, write);
    require_same_run(whole, checkpointed);  // checkpointing changes nothing
    // The last checkpoint due: iteration 4 of 5.
    const io::checkpoint c = io::read_checkpoint(write.checkpoint_path);
    REQUIRE(c.iteration == 4);
    REQUIRE(c.train_loss.size() == 4);

    const auto resume = resuming(c, write.checkpoint_path);
    require_same_run(whole, experiment::run_experiment(config, {}, nullptr, resume));
    // The plain config (checkpoint_every = 0) resumes it too.
    require_same_run(whole, experiment::run_experiment(plain, {}, nullptr, resume));

    // The test can fail: a checkpoint with other weights gives another run.
    io::checkpoint other = c;
    other.projections[2](0, 0) += 0.25;
    const auto wrong = resuming(other, "other.ckpt");
    CHECK_FALSE(same_bits(experiment::run_experiment(config, {}, nullptr, wrong).final->w_out,
                          whole.final->w_out));
  }
}

TEST_CASE("SIGINT during training writes a checkpoint the run resumes from", "[checkpoint]") {
  const io::run_config config =
      small_run({"chip.profile=\"loihi\"", "chip.update_rounding=\"stochastic\""});
  const io::run_data whole = experiment::run_experiment(config);
  scratch_dir dir;
  const std::string path = (dir.path / "out.h5.ckpt").string();
  const auto control = writing(path, true);
  // SIGINT during the second iteration: honoured before the third.
  bool sent = false;
  auto interrupt = [&sent](const experiment::progress_info& p) {
    if (p.iteration == 2 && !sent) {
      sent = true;
      std::raise(SIGINT);
    }
  };
  std::int64_t at = -1;
  try {
    experiment::run_experiment(config, interrupt, nullptr, control);
  } catch (const experiment::training_interrupted& e) {
    at = e.iteration();
    CHECK(e.checkpoint_path() == path);
    CHECK_THAT(e.what(), Contains("interrupted at iteration 2/5"));
  }
  REQUIRE(at == 2);
  const io::checkpoint c = io::read_checkpoint(path);
  CHECK(c.iteration == 2);
  const auto resume = resuming(c, path);
  require_same_run(whole, experiment::run_experiment(config, {}, nullptr, resume));
}

TEST_CASE("sigint_watch restores the previous handler", "[checkpoint]") {
  static volatile std::sig_atomic_t seen = 0;
  auto* previous = std::signal(SIGINT, [](int) { seen = 1; });
  {
    experiment::sigint_watch watch;
    CHECK_FALSE(watch.raised());
    std::raise(SIGINT);
    CHECK(watch.raised());
    CHECK(seen == 0);
    CHECK_THROWS_AS(experiment::sigint_watch(), error);  // one at a time
  }
  std::raise(SIGINT);
  CHECK(seen == 1);
  experiment::sigint_watch again;
  CHECK_FALSE(again.raised());
  std::signal(SIGINT, previous);
}

TEST_CASE("a checkpoint of another config, or not a checkpoint, is a file_error", "[checkpoint]") {
  scratch_dir dir;
  const std::string path = (dir.path / "c.ckpt").string();
  io::checkpoint c = sample_checkpoint();
  const io::run_config config = io::parse_config("", "test", {"train.eta=0.25"});
  c.config_toml = io::to_toml(config);
  io::check_same_config(path, c, config);
  io::check_same_config(path, c,
                        io::parse_config("", "test", {"train.eta=0.25", "train.checkpoint_every=5"}));
  const std::string m = file_error_message(
      [&] { io::check_same_config(path, c, io::parse_config("", "test", {"train.eta=0.5"})); });
  CHECK_THAT(m, Contains(path));
  CHECK_THAT(m, Contains("train.eta = 0.25 in the checkpoint, 0.5 now"));

  CHECK_THAT(file_error_message([&] { io::read_checkpoint(path); }), Contains("file not found"));
  std::ofstream(path) << "not HDF5\n";
  CHECK_THAT(file_error_message([&] { io::read_checkpoint(path); }),
             Contains("not a readable HDF5 file"));
  io::run_data run;
  run.config_toml = c.config_toml;
  io::write_run_file(path, run);
  CHECK_THAT(file_error_message([&] { io::read_checkpoint(path); }),
             Contains("is not a chaoschip checkpoint"));

  // A checkpoint of another network size does not fit the run.
  io::write_checkpoint(path, c);
  const io::checkpoint read = io::read_checkpoint(path);
  const auto resume = resuming(read, path);
  CHECK_THAT(file_error_message([&] { experiment::run_experiment(config, {}, nullptr, resume); }),
             Contains("weights/w_in"));
}
