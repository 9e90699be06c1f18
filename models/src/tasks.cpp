#include "chaoschip/models/tasks.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "chaoschip/core/errors.hpp"

// The study's generated tasks (docs/tasks.md). Every task drives its inputs through
// "channels": the n_in input neurons split into equal groups, each group spiking as
// independent Bernoulli (Poisson-like) neurons whose per-step probability is the channel's
// value u in [0, 1] times input_rate * dt. A sequence is a pure function of
// (seed, task name, index): all its random numbers come from the stream
// random_stream(seed, "task.<name>", index), trial variables first, then the spikes.

namespace chaoschip::models {

namespace {

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// Steps of a duration in ms on the dt grid, at least one.
std::size_t ms_to_steps(double ms, double dt_ms) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(ms / dt_ms)));
}

class generated_task : public task {
 public:
  generated_task(std::string name, const task_params& p, std::size_t n_channels,
                 bool classification)
      : p_(p), name_(std::move(name)), n_channels_(n_channels), classification_(classification) {
    if (p.steps < 1)
      throw parameter_error("task.steps", std::to_string(p.steps), "an integer >= 1");
    if (!(p.dt_ms > 0.0) || !std::isfinite(p.dt_ms))
      throw parameter_error("network.dt", std::to_string(p.dt_ms), "a number > 0");
    if (!(p.input_rate_hz >= 0.0) || !std::isfinite(p.input_rate_hz))
      throw parameter_error("task.input_rate", std::to_string(p.input_rate_hz), "a number >= 0");
    if (p.delay < 0)
      throw parameter_error("task.delay", std::to_string(p.delay), "an integer >= 0");
    if (p.n_in < n_channels_)
      throw parameter_error("network.n_in", std::to_string(p.n_in),
                            "an integer >= " + std::to_string(n_channels_) + " (the " +
                                std::to_string(n_channels_) + " input channels of task '" + name_ +
                                "')");
  }

  std::string name() const override { return name_; }
  std::size_t n_in() const noexcept override { return p_.n_in; }
  std::size_t n_out() const noexcept override { return p_.n_out; }
  std::size_t steps() const noexcept override { return p_.steps; }
  bool classification() const noexcept override { return classification_; }

  // The 4 most recently used sequences are kept: a returned reference stays valid for
  // at least 3 further calls (least recently used eviction).
  const sequence& get(std::int64_t index) final {
    ++tick_;
    entry* victim = &cache_[0];
    for (auto& e : cache_) {
      if (e.valid && e.index == index) {
        e.used = tick_;
        return e.seq;
      }
      if (!e.valid || (victim->valid && e.used < victim->used)) victim = &e;
    }
    victim->seq = generate(index);
    victim->index = index;
    victim->used = tick_;
    victim->valid = true;
    return victim->seq;
  }

 protected:
  Eigen::Index T() const noexcept { return static_cast<Eigen::Index>(p_.steps); }

  // Draws the trial variables from rng, writes the channel values u [T, n_channels] and
  // the target and learning window of s (zero-initialised).
  virtual void fill(random_stream& rng, row_matrix& u, sequence& s) const = 0;

  // One-hot target of class `label` over the whole trial, learning window from `from`.
  void set_class(sequence& s, std::size_t label, Eigen::Index from) const {
    s.target.col(static_cast<Eigen::Index>(label)).setOnes();
    std::fill(s.learning_window.begin() + from, s.learning_window.end(), std::uint8_t{1});
  }

  task_params p_;

 private:
  sequence generate(std::int64_t index) const {
    random_stream rng(p_.seed, "task." + name_, static_cast<std::uint64_t>(index));
    sequence s;
    s.target = row_matrix::Zero(T(), static_cast<Eigen::Index>(p_.n_out));
    s.learning_window.assign(p_.steps, 0);
    row_matrix u = row_matrix::Zero(T(), static_cast<Eigen::Index>(n_channels_));
    fill(rng, u, s);

    const double p_unit = p_.input_rate_hz * p_.dt_ms * 1e-3;
    const std::size_t group = p_.n_in / n_channels_;  // leftover neurons stay silent
    s.input_spikes.resize(p_.steps);
    for (Eigen::Index t = 0; t < T(); ++t) {
      auto& out = s.input_spikes[static_cast<std::size_t>(t)];
      for (Eigen::Index c = 0; c < u.cols(); ++c) {
        const double value = u(t, c);
        if (!(value > 0.0)) continue;
        const double prob = std::min(1.0, value * p_unit);
        const std::size_t first = static_cast<std::size_t>(c) * group;
        for (std::size_t i = first; i < first + group; ++i)
          if (rng.bernoulli(prob)) out.push_back(static_cast<std::uint32_t>(i));
      }
    }
    return s;
  }

  struct entry {
    std::int64_t index = 0;
    std::uint64_t used = 0;
    bool valid = false;
    sequence seq;
  };

  std::string name_;
  std::size_t n_channels_;
  bool classification_;
  std::array<entry, 4> cache_{};
  std::uint64_t tick_ = 0;
};

void require_n_out(const task_params& p, std::size_t required, std::string_view task_name,
                   std::string_view what) {
  if (p.n_out != required)
    throw parameter_error("network.n_out", std::to_string(p.n_out),
                          std::to_string(required) + " (" + std::string(what) + " of task '" +
                              std::string(task_name) + "')");
}

void require_min_steps(const task_params& p, std::size_t minimum, std::string_view task_name) {
  if (p.steps < minimum)
    throw parameter_error(
        "task.steps", std::to_string(p.steps),
        "an integer >= " + std::to_string(minimum) + " for task '" + std::string(task_name) + "'");
}

// NeuroGym PerceptualDecisionMaking. Channels: evidence for choice 0, for choice 1.
class decision_task final : public generated_task {
 public:
  explicit decision_task(const task_params& p) : generated_task("decision", p, 2, true) {
    require_n_out(p, 2, "decision", "the number of classes");
    require_min_steps(p, 10, "decision");
    if (!(p.coherence >= 0.0 && p.coherence <= 1.0))
      throw parameter_error("task.coherence", std::to_string(p.coherence), "a number in [0, 1]");
    fixation_ = T() / 10;
    decision_ = T() / 5;
  }

 private:
  void fill(random_stream& rng, row_matrix& u, sequence& s) const override {
    const auto label = static_cast<std::size_t>(rng.below(2));
    const Eigen::Index stimulus_end = T() - decision_;
    const auto correct = static_cast<Eigen::Index>(label);
    for (Eigen::Index t = fixation_; t < stimulus_end; ++t) {
      u(t, correct) = 0.5 * (1.0 + p_.coherence);
      u(t, 1 - correct) = 0.5 * (1.0 - p_.coherence);
    }
    set_class(s, label, stimulus_end);
  }

  Eigen::Index fixation_ = 0, decision_ = 0;
};

// NeuroGym DelayMatchSample. Channels: stimulus A, stimulus B. Class 0 = match.
class dms_task final : public generated_task {
 public:
  explicit dms_task(const task_params& p) : generated_task("dms", p, 2, true) {
    require_n_out(p, 2, "dms", "the number of classes");
    require_min_steps(p, 10, "dms");
    fixation_ = T() / 10;
    sample_ = T() * 15 / 100;
    test_ = sample_;
    const Eigen::Index min_decision = T() / 10;
    const Eigen::Index max_delay = T() - fixation_ - sample_ - test_ - min_decision;
    if (p.delay > static_cast<std::int64_t>(max_delay))
      throw parameter_error("task.delay", std::to_string(p.delay),
                            "an integer <= " + std::to_string(max_delay) +
                                " for task 'dms' with task.steps = " + std::to_string(p.steps) +
                                " (fixation 10%, sample 15%, test 15%, decision >= 10% of the "
                                "steps)");
    delay_ = static_cast<Eigen::Index>(p.delay);
  }

 private:
  void fill(random_stream& rng, row_matrix& u, sequence& s) const override {
    const auto sample = static_cast<Eigen::Index>(rng.below(2));
    const bool match = rng.bernoulli(0.5);
    const Eigen::Index test = match ? sample : 1 - sample;
    const Eigen::Index sample_start = fixation_;
    const Eigen::Index test_start = sample_start + sample_ + delay_;
    u.block(sample_start, sample, sample_, 1).setOnes();
    u.block(test_start, test, test_, 1).setOnes();
    set_class(s, match ? 0 : 1, test_start + test_);
  }

  Eigen::Index fixation_ = 0, sample_ = 0, test_ = 0, delay_ = 0;
};

// e-prop evidence accumulation (NEST's example). Channels: left, right, recall, background.
class evidence_task final : public generated_task {
 public:
  static constexpr int n_cues = 7;
  static constexpr double p_majority = 0.8;
  static constexpr double background = 0.2;

  explicit evidence_task(const task_params& p) : generated_task("evidence", p, 4, true) {
    require_n_out(p, 2, "evidence", "the number of classes");
    cue_ = static_cast<Eigen::Index>(ms_to_steps(100.0, p.dt_ms));
    pause_ = static_cast<Eigen::Index>(ms_to_steps(50.0, p.dt_ms));
    recall_ = static_cast<Eigen::Index>(ms_to_steps(150.0, p.dt_ms));
    const std::int64_t minimum = n_cues * (cue_ + pause_) + p.delay + recall_;
    if (static_cast<std::int64_t>(p.steps) < minimum)
      throw parameter_error(
          "task.steps", std::to_string(p.steps),
          "an integer >= " + std::to_string(minimum) + " for task 'evidence' (7 cues of " +
              std::to_string(cue_) + " + " + std::to_string(pause_) + " steps, task.delay = " +
              std::to_string(p.delay) + ", recall " + std::to_string(recall_) + " steps)");
  }

 private:
  void fill(random_stream& rng, row_matrix& u, sequence& s) const override {
    const auto majority = static_cast<Eigen::Index>(rng.below(2));
    int right = 0;
    for (Eigen::Index c = 0; c < n_cues; ++c) {
      const Eigen::Index side = rng.bernoulli(p_majority) ? majority : 1 - majority;
      right += side == 1 ? 1 : 0;
      u.block(c * (cue_ + pause_), side, cue_, 1).setOnes();
    }
    const Eigen::Index recall_start = T() - recall_;
    u.block(recall_start, 2, recall_, 1).setOnes();
    u.col(3).setConstant(background);
    set_class(s, right > n_cues / 2 ? 1 : 0, recall_start);
  }

  Eigen::Index cue_ = 0, pause_ = 0, recall_ = 0;
};

// Random bits per channel, held for blocks of 10 steps (copy, delayed_xor).
class bits_task : public generated_task {
 public:
  static constexpr Eigen::Index block = 10;

  bits_task(std::string name, const task_params& p, std::size_t n_channels)
      : generated_task(name, p, n_channels, false) {
    if (p.delay >= static_cast<std::int64_t>(p.steps))
      throw parameter_error("task.delay", std::to_string(p.delay),
                            "an integer <= " + std::to_string(p.steps - 1) + " for task '" + name +
                                "' with task.steps = " + std::to_string(p.steps));
    delay_ = static_cast<Eigen::Index>(p.delay);
  }

 protected:
  // Bits drawn block by block, channel by channel, written into u as 0/1.
  static void draw_bits(random_stream& rng, row_matrix& u) {
    for (Eigen::Index b0 = 0; b0 < u.rows(); b0 += block) {
      const Eigen::Index len = std::min(block, u.rows() - b0);
      for (Eigen::Index k = 0; k < u.cols(); ++k)
        u.block(b0, k, len, 1).setConstant(rng.bernoulli(0.5) ? 1.0 : 0.0);
    }
  }
  void open_window(sequence& s) const {
    std::fill(s.learning_window.begin() + delay_, s.learning_window.end(), std::uint8_t{1});
  }

  Eigen::Index delay_ = 0;
};

// Gradient flossing paper's delayed copy: target[t][k] = bit k at step t - delay.
class copy_task final : public bits_task {
 public:
  explicit copy_task(const task_params& p) : bits_task("copy", p, check(p)) {}

 private:
  static std::size_t check(const task_params& p) {
    if (p.n_out < 1) throw parameter_error("network.n_out", "0", "an integer >= 1");
    return p.n_out;
  }
  void fill(random_stream& rng, row_matrix& u, sequence& s) const override {
    draw_bits(rng, u);
    const Eigen::Index n = T() - delay_;
    s.target.bottomRows(n) = u.topRows(n);
    open_window(s);
  }
};

// Delayed XOR of two bit channels: target[t] = bit0[t - delay] XOR bit1[t - delay].
class delayed_xor_task final : public bits_task {
 public:
  explicit delayed_xor_task(const task_params& p) : bits_task("delayed_xor", p, 2) {
    require_n_out(p, 1, "delayed_xor", "the one output");
  }

 private:
  void fill(random_stream& rng, row_matrix& u, sequence& s) const override {
    draw_bits(rng, u);
    for (Eigen::Index t = delay_; t < T(); ++t)
      s.target(t, 0) = u(t - delay_, 0) != u(t - delay_, 1) ? 1.0 : 0.0;
    open_window(s);
  }
};

}  // namespace

std::unique_ptr<task> make_generated_task(std::string_view name, const task_params& p) {
  if (name == "decision") return std::make_unique<decision_task>(p);
  if (name == "dms") return std::make_unique<dms_task>(p);
  if (name == "evidence") return std::make_unique<evidence_task>(p);
  if (name == "copy") return std::make_unique<copy_task>(p);
  if (name == "delayed_xor") return std::make_unique<delayed_xor_task>(p);
  throw parameter_error("task.name", quoted(name),
                        "\"evidence\", \"decision\", \"dms\", \"copy\" or \"delayed_xor\"");
}

}  // namespace chaoschip::models
