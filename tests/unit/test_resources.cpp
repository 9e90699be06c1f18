// The memory estimate made before a command allocates (experiment/resources.hpp, io/memory.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/experiment/resources.hpp"
#include "chaoschip/io/config.hpp"

using namespace chaoschip;

namespace {

double part(const io::memory_estimate& e, const std::string& what) {
  for (const auto& p : e.parts)
    if (p.what == what) return p.bytes;
  return -1.0;
}

io::run_config config(const std::vector<std::string>& sets) {
  return io::parse_config("", "test", sets);
}

}  // namespace

TEST_CASE("estimate_run counts weights, recorded states and spikes", "[resources]") {
  // Untrained: initial, final and the network's own copy of w_in, w_rec, w_out, feedback.
  const auto plain = experiment::estimate_run(config({"train.rule=\"none\"", "lyapunov.when=[]"}));
  const double weights = 8.0 * (100 * 100 + 100 * 100 + 2 * 100);
  CHECK(part(plain, "weights") == 3 * weights);
  CHECK(part(plain, "recorded states") < 0);  // record.states = false
  // Adam adds the gradients and two moments.
  CHECK(part(experiment::estimate_run(config({})), "weights") == 7 * weights);

  // 10 sequences of 1000 steps, v of 100 LIF neurons and y of one readout unit.
  const auto states = experiment::estimate_run(
      config({"train.rule=\"none\"", "train.iterations=10", "record.states=true",
              "record.spikes=false", "lyapunov.when=[]"}));
  const double written = 8.0 * 10 * 1000 * (100 + 1);
  CHECK(part(states, "recorded states") == Approx(2.5 * written));
  CHECK(states.output_bytes == Approx(2 * weights + written));

  // Spikes: inputs at task.input_rate (50 Hz), recurrent neurons assumed at >= 20 Hz.
  const auto spikes = experiment::estimate_run(config({"train.rule=\"none\"", "lyapunov.when=[]"}));
  CHECK(part(spikes, "recorded spikes") == Approx(24.0 * 100 * 1000 * (0.05 * 100 + 0.05 * 100)));
}

TEST_CASE("estimate_run does not overflow on huge keys", "[resources]") {
  const auto big = experiment::estimate_run(config({"network.n_rec=10000000"}));
  CHECK(part(big, "weights") > 7 * 8.0 * 1e14);
  const auto steps = experiment::estimate_run(config({"task.steps=4611686018427387904"}));  // 2^62
  CHECK(std::isfinite(steps.total()));
  CHECK(part(steps, "task inputs") > 1e20);
  const auto out = experiment::estimate_run(config({"network.n_out=10000000"}));
  CHECK(part(out, "weights") > 7 * 8.0 * 2e9);
}

TEST_CASE("estimate_lyapunov: tangent space and the full-spectrum Jacobian", "[resources]") {
  const auto one = experiment::estimate_lyapunov(config({"lyapunov.k=10"}), false);
  CHECK(part(one, "tangent space") == 4 * 8.0 * 10 * 100);
  const auto full = experiment::estimate_lyapunov(config({"lyapunov.k=100"}), false);
  CHECK(part(full, "tangent space") == 4 * 8.0 * 100 * 100 + 3 * 8.0 * 100 * 100);
  const auto traj = experiment::estimate_lyapunov(config({}), true);
  CHECK(part(traj, "recorded trajectory") == 2 * 8.0 * 2501 * 100);
}

TEST_CASE("estimate_sweep: the table grows with the points", "[resources]") {
  const auto c = config({"train.rule=\"none\"", "lyapunov.when=[]"});
  const auto small = experiment::estimate_sweep(10, 1, 10, c, 2);
  const auto large = experiment::estimate_sweep(10000000, 1, 10000000, c, 2);
  CHECK(part(large, "sweep table") == Approx(1e6 * part(small, "sweep table")));
  CHECK(large.output_bytes == Approx(1e6 * small.output_bytes));
  CHECK(part(small, "weights (2 points at once)") ==
        2 * part(experiment::estimate_run(c), "weights"));
}

TEST_CASE("require_memory names the command, the keys and both sizes", "[resources]") {
  const auto e = experiment::estimate_run(config({"network.n_rec=10000000"}));
  CHECK_NOTHROW(io::require_memory(e, -1.0, "this run"));  // unknown: nothing refused
  CHECK_NOTHROW(io::require_memory(e, 2 * e.total(), "this run"));
  CHECK_THROWS_AS(io::require_memory(e, 8e9, "this run"), input_error);
  CHECK_THROWS_WITH(io::require_memory(e, 8e9, "this run"),
                    Catch::Contains("this run needs about ") && Catch::Contains(" TB of memory") &&
                        Catch::Contains("8.0 GB") && Catch::Contains("MemAvailable") &&
                        Catch::Contains("network.n_rec = 10000000"));
}

TEST_CASE("mem_available reads MemAvailable in bytes", "[resources]") {
  const auto path = std::filesystem::temp_directory_path() / "chaoschip_test_meminfo";
  {
    std::ofstream f(path);
    f << "MemTotal:       24683496 kB\nMemFree:        23133972 kB\n"
         "MemAvailable:   23622556 kB\nBuffers:           70872 kB\n";
  }
  CHECK(io::mem_available(path.string()) == 23622556.0 * 1024.0);
  {
    std::ofstream f(path);
    f << "MemTotal:       24683496 kB\n";
  }
  CHECK(io::mem_available(path.string()) < 0);
  std::filesystem::remove(path);
  CHECK(io::mem_available(path.string()) < 0);
  CHECK(io::mem_available() > 0);  // this machine's
}

TEST_CASE("format_bytes uses decimal units", "[resources]") {
  CHECK(io::format_bytes(512) == "512 B");
  CHECK(io::format_bytes(1.5e9) == "1.5 GB");
  CHECK(io::format_bytes(812e6) == "812 MB");
  CHECK(io::format_bytes(5.6e15) == "5600 TB");
  CHECK(io::format_bytes(3.2e18) == "3.2e+06 TB");
}
