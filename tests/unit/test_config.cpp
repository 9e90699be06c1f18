#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/experiment/sweep.hpp"
#include "chaoschip/io/chip.hpp"
#include "chaoschip/io/config.hpp"

namespace Catch {
// Show a failing config as its TOML instead of "{?}".
template <>
struct StringMaker<chaoschip::io::run_config> {
  static std::string convert(const chaoschip::io::run_config& c) {
    return std::string("\n").append(chaoschip::io::to_toml(c));  // not '+': GCC 12 -Wrestrict
  }
};
}  // namespace Catch

namespace {

// The default config as parsing returns it: the chip section resolved from its profile.
chaoschip::io::run_config defaults() {
  chaoschip::io::run_config c;
  chaoschip::io::resolve_chip(c.chip);
  return c;
}

}  // namespace

namespace {

using Catch::Matchers::Contains;
using chaoschip::file_error;
using chaoschip::parameter_error;
using chaoschip::io::load_config;
using chaoschip::io::parse_config;
using chaoschip::io::run_config;
using chaoschip::io::to_toml;

run_config parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_config(text, "run.toml", overrides);
}

// The parameter_error that parsing `text` raises (fails the test if there is none).
parameter_error parse_failure(const std::string& text,
                              const std::vector<std::string>& overrides = {}) {
  try {
    parse(text, overrides);
  } catch (const parameter_error& e) {
    return e;
  }
  FAIL("no parameter_error for: " << text);
  return parameter_error("", "", "");  // not reached: FAIL throws
}

// A relative path as the parser stores it: absolute, against the current directory.
std::string in_cwd(const std::string& relative) {
  return std::filesystem::absolute(relative).lexically_normal().string();
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// A scratch directory of our own, removed afterwards.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() /
           ("chaoschip_test_config_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("empty text gives the documented defaults", "[config]") {
  const run_config c = parse("");
  CHECK(c == defaults());
  CHECK(c.seed == 1);
  CHECK(c.network.model == "lif");
  CHECK(c.network.n_rec == 100);
  CHECK(c.neuron.v_th == 0.03);
  CHECK(c.neuron.n_adaptive == -1);
  CHECK(c.chip.profile == "float64");
  CHECK(c.train.eta == 5e-3);
  CHECK(c.lyapunov.when == std::vector<std::string>{"before", "after"});
  CHECK(c.record.spikes);
  CHECK(parse("# only a comment\n\n") == defaults());
}

TEST_CASE("every section is parsed", "[config]") {
  const run_config c = parse(R"(
seed = 7
[network]
model = "alif"
n_in = 3
n_rec = 20
n_out = 2
gain = 1.5
init = "orthogonal"
autapses = true
dt = 0.5
file = "w.h5"
delay_rec = 2
connectivity = "sparse"
input_gain = 2
[neuron]
tau_m = 20.0
v_th = 0.6
t_ref = 2.0
gamma = 0.5
tau_a = 1000.0
beta = -0.5
n_adaptive = 10
regular_spike_arrival = true
alpha = 0.1
phi = "relu"
tau_syn = 5.0
reset = "value"
v_reset = -0.1
ode_method = "rk4"
ode_tol = 1e-6
ode_substeps = 4
[readout]
tau = 20.0
loss = "cross_entropy"
[chip]
profile = "loihi"
[task]
name = "evidence"
file = "t.h5"
steps = 50
input_rate = 40.0
[train]
rule = "bptt"
variant = "nest_bsshslm_2020"
feedback = "symmetric"
optimizer = "adam"
eta = 0.005
adam_beta1 = 0.8
adam_beta2 = 0.99
adam_epsilon = 1e-7
iterations = 10
batch = 4
c_reg = 300.0
f_target = 12.0
average_gradient = true
[floss]
enabled = true
variant = "bptt"
k = 5
target = -0.1
pre_epochs = 3
every = 2
epochs = 1
[lyapunov]
k = 40
steps = 100
warmup = 10
ons_interval = 5
when = ["after"]
[record]
states = true
spikes = false
)");
  CHECK(c.seed == 7);
  CHECK(c.network.model == "alif");
  CHECK(c.network.n_in == 3);
  CHECK(c.network.n_rec == 20);
  CHECK(c.network.n_out == 2);
  CHECK(c.network.gain == 1.5);
  CHECK(c.network.init == "orthogonal");
  CHECK(c.network.autapses);
  CHECK(c.network.dt == 0.5);
  CHECK(c.network.file == in_cwd("w.h5"));
  CHECK(c.network.delay_rec == 2);
  CHECK(c.network.connectivity == "sparse");
  CHECK(c.network.input_gain == 2.0);  // an integer is accepted for a double
  CHECK(c.neuron.tau_m == 20.0);
  CHECK(c.neuron.v_th == 0.6);
  CHECK(c.neuron.t_ref == 2.0);
  CHECK(c.neuron.gamma == 0.5);
  CHECK(c.neuron.tau_a == 1000.0);
  CHECK(c.neuron.beta == -0.5);
  CHECK(c.neuron.n_adaptive == 10);
  CHECK(c.neuron.regular_spike_arrival);
  CHECK(c.neuron.alpha == 0.1);
  CHECK(c.neuron.phi == "relu");
  CHECK(c.neuron.tau_syn == 5.0);
  CHECK(c.neuron.reset == "value");
  CHECK(c.neuron.v_reset == -0.1);
  CHECK(c.neuron.ode_method == "rk4");
  CHECK(c.neuron.ode_tol == 1e-6);
  CHECK(c.neuron.ode_substeps == 4);
  CHECK(c.readout.tau == 20.0);
  CHECK(c.readout.loss == "cross_entropy");
  CHECK(c.chip.profile == "loihi");
  CHECK(c.task.name == "evidence");
  CHECK(c.task.file == in_cwd("t.h5"));
  CHECK(c.task.steps == 50);
  CHECK(c.task.input_rate == 40.0);
  CHECK(c.train.rule == "bptt");
  CHECK(c.train.variant == "nest_bsshslm_2020");
  CHECK(c.train.feedback == "symmetric");
  CHECK(c.train.optimizer == "adam");
  CHECK(c.train.eta == 0.005);
  CHECK(c.train.adam_beta1 == 0.8);
  CHECK(c.train.adam_beta2 == 0.99);
  CHECK(c.train.adam_epsilon == 1e-7);
  CHECK(c.train.iterations == 10);
  CHECK(c.train.batch == 4);
  CHECK(c.train.c_reg == 300.0);
  CHECK(c.train.f_target == 12.0);
  CHECK(c.train.average_gradient);
  CHECK(c.floss.enabled);
  CHECK(c.floss.variant == "bptt");
  CHECK(c.floss.k == 5);
  CHECK(c.floss.target == -0.1);
  CHECK(c.floss.pre_epochs == 3);
  CHECK(c.floss.every == 2);
  CHECK(c.floss.epochs == 1);
  CHECK(c.lyapunov.k == 40);
  CHECK(c.lyapunov.steps == 100);
  CHECK(c.lyapunov.warmup == 10);
  CHECK(c.lyapunov.ons_interval == 5);
  CHECK(c.lyapunov.when == std::vector<std::string>{"after"});
  CHECK(c.record.states);
  CHECK_FALSE(c.record.spikes);

  // Inline tables and dotted keys are the same TOML.
  const run_config d = parse("network = { n_rec = 5 }\nneuron.tau_m = 10\n");
  CHECK(d.network.n_rec == 5);
  CHECK(d.neuron.tau_m == 10.0);
}

TEST_CASE("unknown keys name the dotted key and its line", "[config]") {
  SECTION("inside a known section") {
    const auto e = parse_failure("seed = 1\n\n[network]\nn_rec = 5\nn_recc = 6\n");
    CHECK(e.key() == "network.n_recc");
    CHECK(e.value() == "unknown key");
    CHECK_THAT(e.what(), Contains("network.n_recc") && Contains("line 5 of run.toml"));
    CHECK_THAT(e.expected(), Contains("n_rec"));
  }
  SECTION("an unknown section") {
    const auto e = parse_failure("[netwerk]\nn_rec = 5\n");
    CHECK(e.key() == "netwerk");
    CHECK_THAT(e.what(), Contains("netwerk") && Contains("line 1"));
    CHECK_THAT(e.expected(), Contains("network"));
  }
  SECTION("an unknown top-level key") {
    const auto e = parse_failure("seed = 1\nsed = 2\n");
    CHECK(e.key() == "sed");
    CHECK_THAT(e.what(), Contains("line 2"));
  }
  SECTION("a key nested too deep") {
    CHECK(parse_failure("[network.model]\nx = 1\n").key() == "network.model");
    CHECK(parse_failure("[network.extra]\nx = 1\n").key() == "network.extra");
  }
  SECTION("a quoted key containing a dot is not a path") {
    CHECK(parse_failure("\"network.n_rec\" = 5\n").key() == "network.n_rec");
  }
  SECTION("chip profile fields are keys of [chip]; unknown ones are not") {
    const auto c = parse("[chip]\nweight_bits = 6\n");
    CHECK(c.chip.weight_bits == 6);
    CHECK(c.chip.quantizer == "per_tensor");  // the float64 profile's default quantiser
    CHECK(parse_failure("[chip]\nweight_bitz = 6\n").key() == "chip.weight_bitz");
  }
}

TEST_CASE("values of the wrong type are rejected", "[config]") {
  struct bad {
    std::string text, key, expected;
  };
  const std::vector<bad> cases = {
      {"seed = 1.0", "seed", "an integer"},
      {"seed = \"1\"", "seed", "an integer"},
      {"[network]\nn_rec = 100.0", "network.n_rec", "an integer"},
      {"[network]\ngain = \"1\"", "network.gain", "a number"},
      {"[network]\ngain = true", "network.gain", "a number"},
      {"[network]\nautapses = 1", "network.autapses", "true or false"},
      {"[network]\nmodel = 3", "network.model", "a string"},
      {"[record]\nspikes = \"yes\"", "record.spikes", "true or false"},
      {"[lyapunov]\nwhen = \"before\"", "lyapunov.when", "an array of strings"},
      {"[lyapunov]\nwhen = [\"before\", 1]", "lyapunov.when", "an array of strings"},
      {"[task]\nfile = 2024-01-01", "task.file", "a string"},
      {"network = 3", "network", "a table ([network])"},
      {"[network]\n[network.n_in]\nx = 1", "network.n_in", "an integer"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto e = parse_failure(c.text);
    CHECK(e.key() == c.key);
    CHECK(e.expected() == c.expected);
    CHECK_THAT(e.what(), Contains("line "));
  }
  CHECK(parse_failure("[network]\ngain = \"1\"").value() == "\"1\"");
}

TEST_CASE("values out of range are rejected", "[config]") {
  struct bad {
    std::string text, key;
  };
  const std::vector<bad> cases = {
      {"seed = -1", "seed"},
      {"[network]\nn_in = 0", "network.n_in"},
      {"[network]\nn_rec = 0", "network.n_rec"},
      {"[network]\nn_rec = 10000001", "network.n_rec"},
      {"[network]\nn_out = -3", "network.n_out"},
      {"[network]\ngain = -0.1", "network.gain"},
      {"[network]\ngain = inf", "network.gain"},
      {"[network]\ndt = 0.0", "network.dt"},
      {"[network]\ndelay_rec = 0", "network.delay_rec"},
      {"[network]\ndelay_rec = 1001", "network.delay_rec"},
      {"[network]\ninput_gain = -1", "network.input_gain"},
      {"[neuron]\ntau_m = 0", "neuron.tau_m"},
      {"[neuron]\nv_th = -0.03", "neuron.v_th"},
      {"[neuron]\nt_ref = -1", "neuron.t_ref"},
      {"[neuron]\ngamma = 0", "neuron.gamma"},
      {"[neuron]\ntau_a = 0", "neuron.tau_a"},
      {"[neuron]\nbeta = nan", "neuron.beta"},
      {"[neuron]\nbeta = -inf", "neuron.beta"},
      {"[neuron]\nn_adaptive = -2", "neuron.n_adaptive"},
      {"[neuron]\nn_adaptive = 101", "neuron.n_adaptive"},
      {"[neuron]\nalpha = 0.0", "neuron.alpha"},
      {"[neuron]\nalpha = 1.5", "neuron.alpha"},
      {"[neuron]\ntau_syn = -1", "neuron.tau_syn"},
      {"[neuron]\nv_reset = 0.03", "neuron.v_reset"},
      {"[neuron]\nv_reset = -inf", "neuron.v_reset"},
      {"[neuron]\node_tol = 0", "neuron.ode_tol"},
      {"[neuron]\node_tol = 0.1", "neuron.ode_tol"},
      {"[neuron]\node_substeps = 0", "neuron.ode_substeps"},
      {"[readout]\ntau = -1", "readout.tau"},
      {"[chip]\nprofile = \"\"", "chip.profile"},
      {"[task]\nsteps = 0", "task.steps"},
      {"[task]\ninput_rate = -5", "task.input_rate"},
      {"[train]\neta = -1e-4", "train.eta"},
      {"[train]\nadam_beta1 = 1.0", "train.adam_beta1"},
      {"[train]\nadam_beta2 = -0.1", "train.adam_beta2"},
      {"[train]\nadam_epsilon = 0", "train.adam_epsilon"},
      {"[train]\niterations = -1", "train.iterations"},
      {"[train]\nbatch = 0", "train.batch"},
      {"[train]\nc_reg = -1", "train.c_reg"},
      {"[train]\nf_target = -1", "train.f_target"},
      {"[floss]\nk = 0", "floss.k"},
      {"[floss]\nk = 101", "floss.k"},
      {"[floss]\ntarget = nan", "floss.target"},
      {"[floss]\npre_epochs = -1", "floss.pre_epochs"},
      {"[floss]\nevery = -1", "floss.every"},
      {"[floss]\nepochs = -1", "floss.epochs"},
      {"[lyapunov]\nk = 0", "lyapunov.k"},
      {"[lyapunov]\nk = 201", "lyapunov.k"},
      {"[lyapunov]\nsteps = 0", "lyapunov.steps"},
      {"[lyapunov]\nwarmup = -1", "lyapunov.warmup"},
      {"[lyapunov]\nons_interval = 0", "lyapunov.ons_interval"},
      {"[lyapunov]\nwhen = [\"before\", \"before\"]", "lyapunov.when"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto e = parse_failure(c.text);
    CHECK(e.key() == c.key);
    CHECK_THAT(e.what(), Contains("line 2 of run.toml") || Contains("line 1 of run.toml"));
  }

  const auto e = parse_failure("[network]\nn_rec = 0\n");
  CHECK(e.value() == "0");
  CHECK(e.expected() == "an integer in [1, 10000000]");
  CHECK(parse_failure("[network]\ndt = -1").expected() == "a finite number > 0");
  CHECK(parse_failure("[neuron]\nalpha = 2").expected() == "a number in (0, 1]");

  // Limits that follow other keys.
  CHECK(parse("[network]\nn_rec = 10\n[neuron]\nn_adaptive = 10").neuron.n_adaptive == 10);
  CHECK(parse("[neuron]\nn_adaptive = 0").neuron.n_adaptive == 0);
  CHECK(parse("[network]\nn_rec = 10\n[lyapunov]\nk = 20").lyapunov.k == 20);
  CHECK_THAT(parse_failure("[network]\nn_rec = 10\n[floss]\nk = 11").expected(),
             Contains("n_rec = 10"));
  CHECK(parse("[neuron]\nv_th = 1.0\nv_reset = 0.5").neuron.v_reset == 0.5);
  CHECK(parse("[lyapunov]\nwhen = []").lyapunov.when.empty());
  CHECK(parse("[neuron]\nbeta = -1e300").neuron.beta == -1e300);
  CHECK(parse("[neuron]\node_tol = 1e-2").neuron.ode_tol == 1e-2);
  CHECK(parse("[neuron]\nalpha = 1").neuron.alpha == 1.0);
  CHECK(parse("[train]\nadam_beta1 = 0").train.adam_beta1 == 0.0);
  CHECK(parse("[network]\ngain = 0").network.gain == 0.0);
  CHECK(parse("[network]\nn_rec = 10000000").network.n_rec == 10000000);
}

TEST_CASE("files are required when init or task name is \"file\"", "[config]") {
  auto e = parse_failure("[network]\ninit = \"file\"\n");
  CHECK(e.key() == "network.file");
  CHECK_THAT(e.what(), Contains("line 2 of run.toml"));  // where init = "file" was said
  CHECK(parse("[network]\ninit = \"file\"\nfile = \"w.h5\"").network.file == in_cwd("w.h5"));

  e = parse_failure("[task]\nname = \"file\"\nfile = \"\"\n");
  CHECK(e.key() == "task.file");
  CHECK_THAT(e.what(), Contains("line 3 of run.toml"));
  CHECK(parse("[task]\nname = \"file\"\nfile = \"t.h5\"").task.file == in_cwd("t.h5"));
}

TEST_CASE("enumerations accept only their values", "[config]") {
  struct bad {
    std::string text, key, names;
  };
  const std::vector<bad> cases = {
      {"[network]\nmodel = \"izhikevich\"", "network.model",
       R"(one of "rate", "rate_ode", "lif", "alif")"},
      {"[network]\ninit = \"zeros\"", "network.init", "\"orthogonal\""},
      {"[network]\nconnectivity = \"full\"", "network.connectivity", "\"sparse\""},
      {"[neuron]\nphi = \"sigmoid\"", "neuron.phi", "\"linear\""},
      {"[neuron]\nreset = \"zero\"", "neuron.reset", "\"value\""},
      {"[neuron]\node_method = \"euler\"", "neuron.ode_method", "\"dopri5\""},
      {"[readout]\nloss = \"l1\"", "readout.loss", "\"cross_entropy\""},
      {"[task]\nname = \"mnist\"", "task.name", "\"delayed_xor\""},
      {"[train]\nrule = \"hebb\"", "train.rule", "\"eprop\""},
      {"[train]\nvariant = \"nest\"", "train.variant", "\"nest_bsshslm_2020\""},
      {"[train]\nfeedback = \"fixed\"", "train.feedback", "\"symmetric\""},
      {"[train]\noptimizer = \"rmsprop\"", "train.optimizer", "\"adam\""},
      {"[floss]\nvariant = \"global\"", "floss.variant", "\"local\""},
      {"[lyapunov]\nwhen = [\"during\"]", "lyapunov.when", "\"after\""},
      {"[network]\nmodel = \"LIF\"", "network.model", "\"lif\""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto e = parse_failure(c.text);
    CHECK(e.key() == c.key);
    CHECK_THAT(e.expected(), Contains(c.names));
  }
  for (const char* m : {"rate", "rate_ode", "lif", "alif"})
    CHECK(parse(std::string("[network]\nmodel = \"") + m + "\"").network.model == m);
  for (const char* t : {"sine", "evidence", "delayed_xor", "copy", "decision", "dms", "none"})
    CHECK(parse(std::string("[task]\nname = \"") + t + "\"").task.name == t);
  CHECK(parse("[chip]\nprofile = \"loihi\"").chip.kernel == "loihi");
  CHECK(parse_failure("[chip]\nprofile = \"truenorth\"").key() == "chip.profile");
  CHECK_THROWS_AS(parse("[chip]\nprofile = \"my/chip.toml\""), file_error);
}

TEST_CASE("overrides (--set) reach every type of key", "[config]") {
  const std::string text = "[network]\nn_rec = 50\nmodel = \"alif\"\n";
  SECTION("integers, doubles, booleans, strings, arrays") {
    const run_config c =
        parse(text, {"network.n_rec=200", "network.gain=1.5", "neuron.tau_m=20", "seed = 3",
                     "network.autapses=true", "network.model=\"rate\"", "task.name='dms'",
                     "lyapunov.when=[\"after\"]", "neuron.beta=-2e-3"});
    CHECK(c.network.n_rec == 200);
    CHECK(c.network.gain == 1.5);
    CHECK(c.neuron.tau_m == 20.0);
    CHECK(c.seed == 3);
    CHECK(c.network.autapses);
    CHECK(c.network.model == "rate");
    CHECK(c.task.name == "dms");
    CHECK(c.lyapunov.when == std::vector<std::string>{"after"});
    CHECK(c.neuron.beta == -2e-3);
  }
  SECTION("bare words for string keys") {
    const run_config c =
        parse(text, {"network.model=rate_ode", "chip.profile=loihi", "task.file=data/in put.h5",
                     "task.name=file", "network.file=2024", "network.connectivity = sparse "});
    CHECK(c.network.model == "rate_ode");
    CHECK(c.chip.profile == "loihi");
    CHECK(c.task.file == in_cwd("data/in put.h5"));
    CHECK(c.network.file == in_cwd("2024"));  // a string key takes the text, not the integer
    CHECK(c.network.connectivity == "sparse");
    CHECK(parse("", {"task.file="}).task.file.empty());
    CHECK(parse("", {"task.file=a\"b\\c"}).task.file == in_cwd("a\"b\\c"));
    CHECK(parse("", {"task.file=tab\there"}).task.file == in_cwd("tab\there"));
    CHECK(parse_failure("", {"task.file=\xff\xfe"}).key() == "task.file");
  }
  SECTION("overrides create missing sections and keys") {
    const run_config c = parse("", {"floss.enabled=true", "record.states=true"});
    CHECK(c.floss.enabled);
    CHECK(c.record.states);
    CHECK(parse("[neuron]\n", {"neuron.n_adaptive=3"}).neuron.n_adaptive == 3);
  }
  SECTION("later overrides win and are validated after the file") {
    CHECK(parse(text, {"network.n_rec=5", "network.n_rec=6"}).network.n_rec == 6);
    // n_adaptive = 60 is out of range for the file's n_rec = 50 but not for the override.
    CHECK(parse(text + "[neuron]\nn_adaptive = 60\n", {"network.n_rec=60"}).neuron.n_adaptive ==
          60);
  }
  SECTION("errors from overrides are located at --set") {
    auto e = parse_failure(text, {"network.n_rec=0"});
    CHECK(e.key() == "network.n_rec");
    CHECK_THAT(e.what(), Contains("--set"));
    e = parse_failure(text, {"network.n_rec=abc"});
    CHECK(e.key() == "network.n_rec");
    CHECK(e.value() == "abc");
    CHECK_THAT(e.expected(), Contains("an integer"));
    e = parse_failure(text, {"network.gain=1.5.1"});
    CHECK(e.key() == "network.gain");
    e = parse_failure(text, {"network.model=lig"});
    CHECK(e.key() == "network.model");
    CHECK(e.value() == "\"lig\"");
    CHECK_THAT(e.what(), Contains("--set"));
    e = parse_failure(text, {"network.n_rex=5"});
    CHECK(e.key() == "network.n_rex");
    CHECK(e.value() == "unknown key");
    CHECK_THAT(e.what(), Contains("--set"));
    e = parse_failure(text, {"bogus.key=5"});
    CHECK(e.key() == "bogus");
    CHECK_THAT(e.what(), Contains("--set"));
    e = parse_failure(text, {"lyapunov.when=after"});
    CHECK(e.key() == "lyapunov.when");
  }
}

TEST_CASE("malformed --set arguments name the override", "[config]") {
  auto e = parse_failure("", {"network.n_rec"});
  CHECK(e.key() == "network.n_rec");
  CHECK(e.value() == "no '='");
  CHECK_THAT(e.what(), Contains("--set"));
  for (const std::string bad :
       {"=5", "network..n_rec=5", ".x=1", "a b=1", "[network]=1", "network.n_rec # c=1"}) {
    INFO(bad);
    e = parse_failure("", {bad});
    CHECK(e.key() == bad);
    CHECK_THAT(e.what(), Contains("--set"));
  }
  // A value with a second key smuggled in is not a TOML value.
  CHECK_THROWS_AS(parse("", {"seed=1\nn=2"}), parameter_error);
}

TEST_CASE("to_toml round-trips the config", "[config]") {
  SECTION("defaults") {
    const std::string text = to_toml(defaults());
    CHECK(parse_config(text, "<resolved>") == defaults());
    // Every key is written, in struct order.
    CHECK(text.find("seed = 1\n") == 0);
    CHECK(text.find("[network]") < text.find("[neuron]"));
    CHECK(text.find("[lyapunov]") < text.find("[record]"));
    CHECK(text.find("model = \"lif\"") < text.find("n_in = 100"));
    CHECK_THAT(text, Contains("gain = 1.0\n"));
    CHECK_THAT(text, Contains("n_adaptive = -1\n"));
    CHECK_THAT(text, Contains("when = [\"before\", \"after\"]\n"));
    CHECK_THAT(text, Contains("file = \"\"\n"));
    CHECK_THAT(text, Contains("ode_tol = 1e-08\n"));
  }
  SECTION("a modified config, doubles bit-exact") {
    run_config c = defaults();
    c.seed = 123456789012345;
    c.network.model = "alif";
    c.network.n_rec = 37;
    c.network.gain = 0.1;
    c.network.dt = 1.0 / 3.0;
    c.network.input_gain = 1e22;
    c.network.file = "/dir with \"quotes\"\\and\ttabs\n.h5";
    c.neuron.beta = -1.7976931348623157e308;
    c.neuron.v_th = 5e-324;  // the smallest denormal
    c.neuron.v_reset = -0.0;
    c.neuron.ode_tol = 2.2250738585072014e-308;
    c.neuron.tau_m = 123456789.0;
    c.neuron.n_adaptive = 7;
    c.chip.profile = "xylo";
    c.chip.rounding = "stochastic";
    chaoschip::io::resolve_chip(c.chip);
    c.train.eta = 0.30000000000000004;
    c.train.adam_beta2 = std::nextafter(1.0, 0.0);
    c.floss.target = -1e-300;
    c.lyapunov.when = {"after", "before"};
    c.record.spikes = false;
    c.task.steps = 9007199254740993;  // not a double
    const run_config back = parse_config(to_toml(c), "<resolved>");
    CHECK(back == c);
    CHECK(same_bits(back.network.dt, c.network.dt));
    CHECK(same_bits(back.neuron.beta, c.neuron.beta));
    CHECK(same_bits(back.neuron.v_th, c.neuron.v_th));
    CHECK(same_bits(back.neuron.v_reset, c.neuron.v_reset));
    CHECK(same_bits(back.neuron.ode_tol, c.neuron.ode_tol));
    CHECK(same_bits(back.train.eta, c.train.eta));
    CHECK(same_bits(back.train.adam_beta2, c.train.adam_beta2));
    CHECK(same_bits(back.floss.target, c.floss.target));
    CHECK(to_toml(back) == to_toml(c));
  }
  SECTION("many doubles") {
    run_config c = defaults();
    double x = 0.123456789;
    for (int i = 0; i < 200; ++i) {
      x = std::fmod(x * 7919.0 + 0.1, 1.0);
      c.neuron.beta = std::ldexp(x, i * 7 - 700) * (i % 2 ? 1 : -1);
      c.network.gain = x * std::pow(10.0, i % 40 - 20);
      const run_config back = parse_config(to_toml(c), "<resolved>");
      INFO(c.neuron.beta << " " << c.network.gain);
      CHECK(same_bits(back.neuron.beta, c.neuron.beta));
      CHECK(same_bits(back.network.gain, c.network.gain));
    }
  }
}

TEST_CASE("unreadable or malformed config files are file_errors", "[config]") {
  SECTION("a TOML syntax error") {
    try {
      parse_config("seed = 1\n[network\nn_rec = 3\n", "bad.toml");
      FAIL("no file_error");
    } catch (const file_error& e) {
      CHECK(e.file() == "bad.toml");
      CHECK_THAT(e.what(), Contains("TOML syntax error at line 2, column"));
    }
    CHECK_THROWS_AS(parse_config("seed = = 1", "x.toml"), file_error);
    CHECK_THROWS_AS(parse_config("seed = 1\nseed = 2", "x.toml"), file_error);  // redefined
  }
  temp_dir dir;
  SECTION("a missing file") {
    const std::string path = (dir.path / "missing.toml").string();
    try {
      load_config(path);
      FAIL("no file_error");
    } catch (const file_error& e) {
      CHECK(e.file() == path);
      CHECK_THAT(e.what(), Contains(path));
    }
  }
  SECTION("a directory") {
    const std::string path = dir.path.string();
    try {
      load_config(path);
      FAIL("no file_error");
    } catch (const file_error& e) {
      CHECK(e.file() == path);
      CHECK_THAT(e.what(), Contains("directory"));
    }
  }
  SECTION("a real file, with overrides, errors naming it") {
    const std::string path = (dir.path / "run.toml").string();
    std::ofstream(path) << "seed = 5\n[network]\nn_rec = 8\n";
    const run_config c = load_config(path, {"network.n_in=2"});
    CHECK(c.seed == 5);
    CHECK(c.network.n_rec == 8);
    CHECK(c.network.n_in == 2);
    std::ofstream(path) << "seed = 5\n[network]\nn_rec = -8\n";
    try {
      load_config(path);
      FAIL("no parameter_error");
    } catch (const parameter_error& e) {
      CHECK(e.key() == "network.n_rec");
      CHECK_THAT(e.what(), Contains("line 3 of " + path));
    }
    std::ofstream(path) << "[network\n";
    try {
      load_config(path);
      FAIL("no file_error");
    } catch (const file_error& e) {
      CHECK(e.file() == path);
      CHECK_THAT(e.what(), Contains("TOML syntax error at line 1"));
    }
  }
}

TEST_CASE("an override into a section that is not a table is the file's error", "[config]") {
  struct bad {
    std::string text, set, key, value;
  };
  const std::vector<bad> cases = {
      {"[[network]]\nn_in = 3\n", "network.n_in=5", "network", "[a table]"},
      {"network = 5\n", "network.n_in=5", "network", "5"},
      {"lyapunov = \"x\"\n", "lyapunov.steps=50", "lyapunov", "\"x\""},
      {"[[train]]\n[[train]]\n", "train.iterations=2", "train", "[a table, a table]"},
  };
  for (const auto& c : cases) {
    INFO(c.text << " --set " << c.set);
    const auto e = parse_failure(c.text, {c.set});
    CHECK(e.key() == c.key);
    CHECK(e.value() == c.value);
    CHECK(e.expected() == "a table ([" + c.key + "])");
    CHECK(e.location() == "line 1 of run.toml");
    // The same error as without --set.
    CHECK(std::string(parse_failure(c.text).what()) == e.what());
  }
  // A table given by --set replaces the section, as documented.
  CHECK(parse("network = 5\n", {"network={n_rec=7}"}).network.n_rec == 7);
}

TEST_CASE("chip profile fields: only the documented values, when given", "[config][chip]") {
  struct bad {
    std::string text, key, expected;
  };
  const std::string bits = "0 (float) or an integer in [2, 32]";
  const std::vector<bad> cases = {
      {"[chip]\nweight_bits = -1", "chip.weight_bits", bits},
      {"[chip]\nweight_bits = 1", "chip.weight_bits", bits},
      {"[chip]\nweight_bits = 33", "chip.weight_bits", bits},
      {"[chip]\nmax_spikes = -1", "chip.max_spikes", "an integer in [1, 1024]"},
      {"[chip]\nmax_spikes = 0", "chip.max_spikes", "an integer in [1, 1024]"},
      {"[chip]\nstate_bits = 2", "chip.state_bits", "0 (float) or an integer in [4, 48]"},
      {"[chip]\ntrace_bits = -1", "chip.trace_bits", bits},
      {"[chip]\nstate_frac_bits = -1", "chip.state_frac_bits", "an integer in [0, 47]"},
      {"[chip]\ndecay_bits = 41", "chip.decay_bits", "an integer in [0, 40]"},
      {"[chip]\naccumulator_bits = -1", "chip.accumulator_bits", "an integer in [0, 48]"},
      {"[chip]\nkernel = \"\"", "chip.kernel", R"(one of "float64", "fixed", "loihi", "xylo")"},
      {"[chip]\nrounding = \"\"", "chip.rounding",
       R"(one of "nearest", "toward_zero", "floor", "stochastic")"},
      {"[chip]\nupdate_mode = \"\"", "chip.update_mode", R"(one of "direct", "shadow")"},
      {"[chip]\noverflow = \"\"", "chip.overflow", R"(one of "wrap", "saturate")"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto e = parse_failure(c.text);
    CHECK(e.key() == c.key);
    CHECK(e.expected() == c.expected);
    CHECK(e.location() == "line 2 of run.toml");
  }
  // The quantiser list has no "" either.
  CHECK_THAT(parse_failure("[chip]\nquantizer = \"\"").expected(), !Contains("\"\""));
  // The edges of the ranges are accepted.
  CHECK(parse("[chip]\nweight_bits = 2").chip.weight_bits == 2);
  CHECK(parse("[chip]\nweight_bits = 32").chip.weight_bits == 32);
  CHECK(parse("[chip]\nweight_bits = 0").chip.weight_bits == 0);
  CHECK(parse("[chip]\nmax_spikes = 1024").chip.max_spikes == 1024);
  // Not given: the profile's value.
  CHECK(parse("[chip]\nprofile = \"xylo\"").chip.max_spikes == 31);
}

namespace {
// Writes `text` to dir/name (creating folders) and returns the path.
std::string write_file(const std::filesystem::path& dir, const std::string& name,
                       const std::string& text) {
  const auto path = dir / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path.string();
}
}  // namespace

TEST_CASE("profile files: errors at their own line, bases from files", "[config][chip]") {
  temp_dir dir;
  SECTION("a value from a profile file is located in that file, not at --set") {
    const auto profile = write_file(dir.path, "p.toml", "base = \"spinnaker\"\nweight_bits = 40\n");
    const auto e = parse_failure("", {"chip.profile=" + profile});
    CHECK(e.key() == "chip.weight_bits");
    CHECK(e.location() == "line 2 of " + profile);
    const auto f = parse_failure("[chip]\nprofile = \"" + profile + "\"\n");
    CHECK(f.location() == "line 2 of " + profile);
    // A wrong enum value, too.
    write_file(dir.path, "q.toml", "name = \"q\"\nrounding = \"up\"\n");
    const auto g = parse_failure("", {"chip.profile=" + (dir.path / "q.toml").string()});
    CHECK(g.location() == "line 2 of " + (dir.path / "q.toml").string());
  }
  SECTION("base names a file relative to the profile, or an absolute path") {
    write_file(dir.path, "chips/b.toml", "base = \"spinnaker\"\nweight_bits = 6\n");
    const auto p = write_file(dir.path, "chips/p.toml", "base = \"b.toml\"\nstate_bits = 20\n");
    const auto c = parse("", {"chip.profile=" + p});
    CHECK(c.chip.kernel == "fixed");  // spinnaker's, through b.toml
    CHECK(c.chip.weight_bits == 6);
    CHECK(c.chip.state_bits == 20);
    const auto deep = write_file(dir.path, "other/deep/d.toml", "base = \"../../chips/p.toml\"\n");
    CHECK(parse("", {"chip.profile=" + deep}).chip.state_bits == 20);
    const std::string absolute_base = (dir.path / "chips/b.toml").string();
    const auto abs = write_file(dir.path, "abs.toml", "base = \"" + absolute_base + "\"\n");
    CHECK(parse("", {"chip.profile=" + abs}).chip.weight_bits == 6);
  }
  SECTION("a missing or looping base is an error at the base line") {
    const auto missing = write_file(dir.path, "m.toml", "name = \"m\"\nbase = \"nope.toml\"\n");
    auto e = parse_failure("", {"chip.profile=" + missing});
    CHECK(e.key() == "base");
    CHECK(e.location() == "line 2 of " + missing);
    CHECK_THAT(e.value(), Contains((dir.path / "nope.toml").string()));
    const auto a = write_file(dir.path, "a.toml", "base = \"b.toml\"\n");
    write_file(dir.path, "b.toml", "base = \"a.toml\"\n");
    e = parse_failure("", {"chip.profile=" + a});
    CHECK(e.key() == "base");
    const auto self = write_file(dir.path, "self.toml", "base = \"./self.toml\"\n");
    CHECK(parse_failure("", {"chip.profile=" + self}).key() == "base");
  }
}

TEST_CASE("relative paths: the config's folder for the file, the current one for --set",
          "[config]") {
  temp_dir dir;
  const auto config = write_file(dir.path, "cfg/run.toml",
                                 "[network]\ninit = \"file\"\nfile = \"data/w.h5\"\n"
                                 "[task]\nname = \"file\"\nfile = \"../t.h5\"\n"
                                 "[chip]\nprofile = \"chips/p.toml\"\n");
  write_file(dir.path, "cfg/chips/p.toml", "base = \"loihi\"\nweight_bits = 6\n");
  const run_config c = load_config(config);
  CHECK(c.network.file == (dir.path / "cfg/data/w.h5").string());
  CHECK(c.task.file == (dir.path / "t.h5").string());
  CHECK(c.chip.profile == (dir.path / "cfg/chips/p.toml").string());
  CHECK(c.chip.weight_bits == 6);
  // --set values are relative to the current directory; absolute paths stay as given.
  const run_config d = load_config(config, {"network.file=x.h5", "task.file=/abs/t.h5"});
  CHECK(d.network.file == in_cwd("x.h5"));
  CHECK(d.task.file == "/abs/t.h5");
  // The stored (resolved) config names the same files from anywhere.
  CHECK(parse_config(to_toml(c), "<resolved>") == c);
  // Built-in profile names are not paths.
  CHECK(load_config(config, {"chip.profile=xylo"}).chip.profile == "xylo");
}

#ifdef CHAOSCHIP_DOCS
namespace {
std::string trim_cell(std::string s) {
  std::string out;
  for (char ch : s)
    if (ch != '`') out += ch;
  const auto first = out.find_first_not_of(' ');
  const auto last = out.find_last_not_of(' ');
  return first == std::string::npos ? std::string() : out.substr(first, last - first + 1);
}
bool same_default(const std::string& doc, const std::string& schema) {
  char* doc_end = nullptr;
  char* schema_end = nullptr;
  const double d = std::strtod(doc.c_str(), &doc_end);
  const double s = std::strtod(schema.c_str(), &schema_end);
  const bool numbers = !doc.empty() && !schema.empty() && *doc_end == 0 && *schema_end == 0;
  return numbers ? d == s : doc == schema;
}
}  // namespace

TEST_CASE("docs/config.md lists every key with the schema's type, default and range",
          "[config]") {
  // Rows `| key | type | default | allowed | meaning |` under "## Top level" and
  // "## `[section]`" headings; the allowed column is what an error message says.
  std::ifstream in(std::string(CHAOSCHIP_DOCS) + "/config.md");
  REQUIRE(in);
  struct row {
    std::string type, default_value, allowed;
    int line;
  };
  std::map<std::string, row> rows;
  std::string section, line;
  bool in_tables = false;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.starts_with("## ")) {
      const auto open = line.find("`[");
      in_tables = line == "## Top level" || open != std::string::npos;
      section = open == std::string::npos ? "" : line.substr(open + 2, line.find("]`") - open - 2);
      continue;
    }
    if (!in_tables || !line.starts_with("| `")) continue;
    std::vector<std::string> cells;
    std::size_t at = 1;
    for (auto bar = line.find('|', at); bar != std::string::npos; bar = line.find('|', at)) {
      cells.push_back(trim_cell(line.substr(at, bar - at)));
      at = bar + 1;
    }
    INFO("docs/config.md line " << n << ": " << line);
    REQUIRE(cells.size() == 5);
    const std::string key = section.empty() ? cells[0] : section + "." + cells[0];
    CHECK(rows.count(key) == 0);
    rows[key] = {cells[1], cells[2], cells[3], n};
  }
  const auto schema = chaoschip::io::describe_config();
  REQUIRE(schema.size() > 90);
  std::set<std::string> keys;
  for (const auto& k : schema) {
    keys.insert(k.key);
    INFO("key " << k.key);
    const auto it = rows.find(k.key);
    CHECK(it != rows.end());
    if (it == rows.end()) continue;
    INFO("docs/config.md line " << it->second.line);
    CHECK(it->second.type == k.type);
    CHECK(it->second.allowed == k.allowed);
    if (k.default_value.empty()) {
      CHECK(it->second.default_value == "(profile)");
    } else {
      // Numbers as numbers (1e-8 and 1e-08 are one), everything else as TOML text.
      CHECK(same_default(it->second.default_value, k.default_value));
    }
  }
  for (const auto& [key, r] : rows) {
    INFO("docs/config.md line " << r.line << " documents " << key);
    CHECK(keys.count(key) == 1);
  }
}
#endif

TEST_CASE("a sweep refuses a grid key given twice before loading anything", "[config][sweep]") {
  chaoschip::io::sweep_spec spec;
  spec.config = "/nonexistent/never/read.toml";
  spec.grid = {chaoschip::experiment::parse_grid("network.gain=1,2"),
               chaoschip::experiment::parse_grid("train.rule=\"none\""),
               chaoschip::experiment::parse_grid(" network.gain =3,4")};
  try {
    chaoschip::experiment::expand(spec);
    FAIL("no input_error");
  } catch (const chaoschip::file_error&) {
    FAIL("the config was read before the grid was checked");
  } catch (const chaoschip::input_error& e) {
    CHECK_THAT(e.what(), Contains("--grid network.gain") && Contains("twice"));
  }
  spec.grid.pop_back();  // distinct keys: now the (missing) config is read
  CHECK_THROWS_AS(chaoschip::experiment::expand(spec), file_error);
}
