// The study's generated tasks (docs/tasks.md): shapes, determinism and caching, one-hot
// targets and learning windows, class balance, what the input channels carry, and the
// parameter errors.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/models/tasks.hpp"

using namespace chaoschip;
using namespace chaoschip::models;

namespace {

const std::vector<std::string> all_tasks = {"decision", "dms", "evidence", "copy", "delayed_xor"};
const std::vector<std::string> class_tasks = {"decision", "dms", "evidence"};

// Parameters that fit each task: 40 input neurons, 200 steps, delay 30.
task_params params_for(const std::string& name) {
  task_params p;
  p.n_in = 40;
  p.n_out = 2;
  p.steps = 200;
  p.dt_ms = 1.0;
  p.input_rate_hz = 50.0;
  p.delay = 30;
  p.coherence = 0.5;
  p.seed = 7;
  if (name == "evidence") p.dt_ms = 10.0;  // cues of 10 + 5 steps, recall 15 steps
  if (name == "copy") p.n_out = 3;         // 3 channels of 13 neurons, neuron 39 unused
  if (name == "delayed_xor") p.n_out = 1;
  return p;
}

// Spikes of input neurons [first, first + n) in steps [t0, t1).
std::size_t count(const sequence& s, std::size_t first, std::size_t n, std::size_t t0,
                  std::size_t t1) {
  std::size_t c = 0;
  for (std::size_t t = t0; t < t1 && t < s.steps(); ++t)
    for (auto i : s.input_spikes[t]) c += (i >= first && i < first + n) ? 1 : 0;
  return c;
}

std::size_t label_of(const sequence& s) {
  Eigen::Index k = 0;
  s.target.row(0).maxCoeff(&k);
  return static_cast<std::size_t>(k);
}

bool same(const sequence& a, const sequence& b) {
  return a.input_spikes == b.input_spikes && a.target == b.target &&
         a.learning_window == b.learning_window;
}

parameter_error error_of(const std::string& name, const task_params& p) {
  try {
    make_generated_task(name, p);
  } catch (const parameter_error& e) {
    return e;
  }
  FAIL("expected a parameter_error from task '" << name << "'");
  return parameter_error("", "", "");
}

}  // namespace

TEST_CASE("Generated tasks have the documented shapes", "[tasks]") {
  for (const auto& name : all_tasks) {
    INFO("task " << name);
    const auto p = params_for(name);
    auto t = make_generated_task(name, p);
    CHECK(t->name() == name);
    CHECK(t->n_in() == p.n_in);
    CHECK(t->n_out() == p.n_out);
    CHECK(t->steps() == p.steps);
    CHECK(t->classification() == (name == "decision" || name == "dms" || name == "evidence"));
    std::size_t spikes = 0;
    for (std::int64_t i = 0; i < 4; ++i) {
      const sequence& s = t->get(i);
      REQUIRE(s.steps() == p.steps);
      REQUIRE(s.target.rows() == static_cast<Eigen::Index>(p.steps));
      REQUIRE(s.target.cols() == static_cast<Eigen::Index>(p.n_out));
      REQUIRE(s.learning_window.size() == p.steps);
      for (const auto& step : s.input_spikes) {
        spikes += step.size();
        for (std::size_t j = 0; j < step.size(); ++j) {
          REQUIRE(step[j] < p.n_in);
          if (j > 0) REQUIRE(step[j - 1] < step[j]);  // ascending, each neuron at most once
        }
      }
      CHECK((s.target.array() == 0.0 || s.target.array() == 1.0).all());
      for (auto w : s.learning_window) REQUIRE((w == 0 || w == 1));
    }
    CHECK(spikes > 0);
  }
}

TEST_CASE("Sequences are pure functions of seed, task name and index", "[tasks]") {
  for (const auto& name : all_tasks) {
    INFO("task " << name);
    const auto p = params_for(name);
    auto a = make_generated_task(name, p);
    auto b = make_generated_task(name, p);
    const sequence first = a->get(3);
    for (std::int64_t i = 10; i < 20; ++i) a->get(i);  // evicts index 3 from the cache
    CHECK(same(a->get(3), first));
    CHECK(same(b->get(3), first));
    CHECK_FALSE(same(a->get(4), first));
    auto other_seed = p;
    other_seed.seed = p.seed + 1;
    CHECK_FALSE(same(make_generated_task(name, other_seed)->get(3), first));

    // A returned reference stays valid for 3 more calls, also after a cache hit.
    auto c = make_generated_task(name, p);
    const sequence& r0 = c->get(0);
    c->get(1);
    c->get(2);
    c->get(3);
    CHECK(same(r0, b->get(0)));
    const sequence& hit = c->get(1);
    c->get(4);
    c->get(5);
    c->get(6);
    CHECK(same(hit, b->get(1)));
  }
}

TEST_CASE("Classification tasks: one-hot targets over the trial, window in the response period",
          "[tasks]") {
  // decision: fixation 20, stimulus 140, decision 40; dms: fixation 20, sample 30, delay
  // 30, test 30, decision 90; evidence: recall is the last 15 steps (150 ms at dt = 10).
  const std::vector<std::pair<std::string, Eigen::Index>> window_start = {
      {"decision", 160}, {"dms", 110}, {"evidence", 185}};
  for (const auto& [name, start] : window_start) {
    INFO("task " << name);
    auto t = make_generated_task(name, params_for(name));
    for (std::int64_t i = 0; i < 8; ++i) {
      const sequence& s = t->get(i);
      CHECK(s.target.row(0).sum() == 1.0);
      for (Eigen::Index r = 1; r < s.target.rows(); ++r)
        REQUIRE(s.target.row(r) == s.target.row(0));
      for (Eigen::Index r = 0; r < s.target.rows(); ++r)
        REQUIRE(s.learning_window[static_cast<std::size_t>(r)] == (r >= start ? 1 : 0));
    }
  }
}

TEST_CASE("Classification tasks draw balanced classes", "[tasks]") {
  for (const auto& name : class_tasks) {
    INFO("task " << name);
    auto t = make_generated_task(name, params_for(name));
    int ones = 0;
    for (std::int64_t i = 0; i < 400; ++i) ones += label_of(t->get(i)) == 1 ? 1 : 0;
    CHECK(ones >= 140);
    CHECK(ones <= 260);
  }
}

TEST_CASE("decision: the correct choice's channel carries more evidence", "[tasks]") {
  auto p = params_for("decision");
  p.coherence = 0.8;
  auto t = make_generated_task("decision", p);
  std::size_t correct_total = 0, other_total = 0, trials_right = 0;
  const int trials = 100;
  for (std::int64_t i = 0; i < trials; ++i) {
    const sequence& s = t->get(i);
    const std::size_t label = label_of(s);
    CHECK(count(s, 0, 40, 0, 20) == 0);     // fixation: silent
    CHECK(count(s, 0, 40, 160, 200) == 0);  // decision: silent
    const std::size_t correct = count(s, 20 * label, 20, 20, 160);
    const std::size_t other = count(s, 20 * (1 - label), 20, 20, 160);
    correct_total += correct;
    other_total += other;
    trials_right += correct > other ? 1 : 0;
  }
  // Expected ratio (1 + 0.8) / (1 - 0.8) = 9.
  CHECK(static_cast<double>(correct_total) > 5.0 * static_cast<double>(other_total));
  CHECK(static_cast<double>(correct_total) < 15.0 * static_cast<double>(other_total));
  CHECK(trials_right == trials);
}

TEST_CASE("dms: the label says whether sample and test stimuli were the same", "[tasks]") {
  auto t = make_generated_task("dms", params_for("dms"));
  int matches = 0;
  for (std::int64_t i = 0; i < 200; ++i) {
    const sequence& s = t->get(i);
    // Periods: fixation [0, 20), sample [20, 50), delay [50, 80), test [80, 110), decision.
    CHECK(count(s, 0, 40, 0, 20) == 0);
    CHECK(count(s, 0, 40, 50, 80) == 0);
    CHECK(count(s, 0, 40, 110, 200) == 0);
    const std::size_t sample_a = count(s, 0, 20, 20, 50), sample_b = count(s, 20, 20, 20, 50);
    const std::size_t test_a = count(s, 0, 20, 80, 110), test_b = count(s, 20, 20, 80, 110);
    REQUIRE(((sample_a > 0) != (sample_b > 0)));  // exactly one stimulus in each period
    REQUIRE(((test_a > 0) != (test_b > 0)));
    const bool match = (sample_a > 0) == (test_a > 0);
    CHECK(label_of(s) == (match ? 0u : 1u));
    matches += match ? 1 : 0;
  }
  CHECK(matches > 60);
  CHECK(matches < 140);
}

TEST_CASE("evidence: cues on the labelled side are the majority", "[tasks]") {
  const auto p = params_for("evidence");  // dt 10: cue 10 steps, pause 5, recall 15
  auto t = make_generated_task("evidence", p);
  const int trials = 200;
  int majority_on_label = 0;
  for (std::int64_t i = 0; i < trials; ++i) {
    const sequence& s = t->get(i);
    const std::size_t label = label_of(s);
    // Channels of 10 neurons: left [0, 10), right [10, 20), recall [20, 30), background.
    int right_cues = 0;
    for (std::size_t c = 0; c < 7; ++c) {
      const std::size_t left = count(s, 0, 10, 15 * c, 15 * c + 10);
      const std::size_t right = count(s, 10, 10, 15 * c, 15 * c + 10);
      REQUIRE(((left > 0) != (right > 0)));                   // one side per cue
      CHECK(count(s, 0, 20, 15 * c + 10, 15 * c + 15) == 0);  // pause
      right_cues += right > 0 ? 1 : 0;
    }
    CHECK(label == (right_cues > 3 ? 1u : 0u));
    CHECK(count(s, 0, 20, 105, 200) == 0);  // delay and recall: no cues
    CHECK(count(s, 20, 10, 0, 185) == 0);   // recall cue only in the recall period
    CHECK(count(s, 20, 10, 185, 200) > 0);
    CHECK(count(s, 30, 10, 0, 200) > 0);  // background throughout
    const std::size_t on_label = count(s, 10 * label, 10, 0, 105);
    const std::size_t off_label = count(s, 10 * (1 - label), 10, 0, 105);
    majority_on_label += on_label > off_label ? 1 : 0;
  }
  CHECK(majority_on_label >= trials * 9 / 10);
}

TEST_CASE("evidence: the delay is padded to task.steps", "[tasks]") {
  auto p = params_for("evidence");
  p.steps = 400;
  auto t = make_generated_task("evidence", p);
  const sequence& s = t->get(0);
  REQUIRE(s.steps() == 400);
  CHECK(count(s, 0, 20, 105, 400) == 0);
  CHECK(count(s, 20, 10, 0, 385) == 0);
  CHECK(count(s, 20, 10, 385, 400) > 0);
  CHECK(s.learning_window[384] == 0);
  CHECK(s.learning_window[385] == 1);
}

TEST_CASE("copy and delayed_xor: targets are the delayed input bits", "[tasks]") {
  for (const std::string name : {"copy", "delayed_xor"}) {
    INFO("task " << name);
    auto p = params_for(name);
    p.input_rate_hz = 200.0;  // a 1-bit block is never silent (P ~ 1e-13)
    auto t = make_generated_task(name, p);
    const std::size_t channels = name == "copy" ? p.n_out : 2;
    const std::size_t group = p.n_in / channels;
    const auto delay = static_cast<std::size_t>(p.delay);
    int ones = 0, zeros = 0;
    for (std::int64_t i = 0; i < 20; ++i) {
      const sequence& s = t->get(i);
      CHECK(count(s, group * channels, p.n_in - group * channels, 0, p.steps) == 0);
      for (std::size_t step = 0; step < p.steps; ++step) {
        REQUIRE(s.learning_window[step] == (step >= delay ? 1 : 0));
        if (step < delay) REQUIRE(s.target.row(static_cast<Eigen::Index>(step)).isZero());
      }
      for (std::size_t b0 = 0; b0 + delay < p.steps; b0 += 10) {
        std::vector<int> bits;
        for (std::size_t k = 0; k < channels; ++k)
          bits.push_back(count(s, k * group, group, b0, b0 + 10) > 0 ? 1 : 0);
        for (std::size_t step = b0 + delay; step < b0 + delay + 10 && step < p.steps; ++step) {
          const auto r = static_cast<Eigen::Index>(step);
          if (name == "copy") {
            for (std::size_t k = 0; k < channels; ++k)
              REQUIRE(s.target(r, static_cast<Eigen::Index>(k)) == bits[k]);
          } else {
            REQUIRE(s.target(r, 0) == (bits[0] != bits[1] ? 1.0 : 0.0));
          }
        }
        for (int bit : bits) (bit ? ones : zeros) += 1;
      }
    }
    CHECK(ones > 0.4 * (ones + zeros));
    CHECK(zeros > 0.4 * (ones + zeros));
  }
}

TEST_CASE("Task parameter errors name their config keys", "[tasks]") {
  CHECK(error_of("nope", params_for("decision")).key() == "task.name");

  for (const auto& name : class_tasks) {
    auto p = params_for(name);
    p.n_out = 3;
    const auto e = error_of(name, p);
    CHECK(e.key() == "network.n_out");
    CHECK_THAT(e.expected(), Catch::Contains("2"));
  }
  auto xor_out = params_for("delayed_xor");
  xor_out.n_out = 2;
  CHECK(error_of("delayed_xor", xor_out).key() == "network.n_out");

  auto few_in = params_for("evidence");
  few_in.n_in = 3;  // 4 channels
  CHECK(error_of("evidence", few_in).key() == "network.n_in");
  auto copy_in = params_for("copy");
  copy_in.n_in = 2;  // 3 channels
  CHECK(error_of("copy", copy_in).key() == "network.n_in");
  auto decision_in = params_for("decision");
  decision_in.n_in = 1;
  CHECK(error_of("decision", decision_in).key() == "network.n_in");

  // dms: 200 steps leave at most 200 - 20 - 30 - 30 - 20 = 100 delay steps.
  auto dms = params_for("dms");
  dms.delay = 100;
  CHECK_NOTHROW(make_generated_task("dms", dms));
  dms.delay = 101;
  CHECK(error_of("dms", dms).key() == "task.delay");

  // evidence at dt = 1: 7 x 150 cue steps + 30 delay + 150 recall = 1230 steps at least.
  auto ev = params_for("evidence");
  ev.dt_ms = 1.0;
  ev.steps = 1229;
  const auto e = error_of("evidence", ev);
  CHECK(e.key() == "task.steps");
  CHECK_THAT(e.expected(), Catch::Contains("1230"));
  ev.steps = 1230;
  CHECK(make_generated_task("evidence", ev)->get(0).steps() == 1230);

  for (const std::string name : {"copy", "delayed_xor"}) {
    auto p = params_for(name);
    p.delay = static_cast<std::int64_t>(p.steps);
    CHECK(error_of(name, p).key() == "task.delay");
  }

  auto coh = params_for("decision");
  coh.coherence = 1.5;
  CHECK(error_of("decision", coh).key() == "task.coherence");
  auto short_decision = params_for("decision");
  short_decision.steps = 9;
  CHECK(error_of("decision", short_decision).key() == "task.steps");
}
