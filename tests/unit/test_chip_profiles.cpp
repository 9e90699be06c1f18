// Chip profiles: built-ins, profile files, [chip] overrides and their errors.
#include <catch2/catch.hpp>

#include <fstream>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/chip.hpp"
#include "chaoschip/io/config.hpp"
#include "test_support.hpp"

using namespace chaoschip;
namespace nm = chaoschip::neuromorphic;
using Catch::Matchers::Contains;

namespace {
const std::string examples = std::string(CHAOSCHIP_EXAMPLES) + "/chips/";
}

TEST_CASE("each example profile file equals its built-in profile", "[chip]") {
  for (const auto& p : nm::builtin_profiles()) {
    INFO(p.name);
    CHECK(io::load_profile_file(examples + p.name + ".toml") == p);
  }
}

TEST_CASE("a custom profile file builds on a base profile", "[chip]") {
  const auto p = io::load_profile_file(examples + "custom_4bit.toml");
  CHECK(p.kernel == nm::kernel_kind::fixed);
  CHECK(p.weight_bits == 4);
  CHECK(p.state_bits == 16);
  CHECK(p.state_frac_bits == 8);
  CHECK(p.weight_rounding == nm::rounding::stochastic);
  CHECK(p.trace_frac_bits == 11);  // from the spinnaker base
  const auto c = io::parse_config("[chip]\nprofile = \"" + examples + "custom_4bit.toml\"\n", "t");
  CHECK(c.chip.weight_bits == 4);
  CHECK(c.chip.kernel == "fixed");
}

TEST_CASE("[chip] overrides any profile field; invalid combinations name the key", "[chip]") {
  auto c = io::parse_config("[chip]\nprofile = \"loihi\"\nweight_bits = 6\nstate_bits = 16\n", "t");
  CHECK(c.chip.weight_bits == 6);
  CHECK(c.chip.state_bits == 16);
  CHECK(c.chip.quantizer == "lava");
  c = io::parse_config("", "t", {"chip.profile=xylo", "chip.quantizer=rockpool_channel"});
  CHECK(c.chip.quantizer == "rockpool_channel");
  // Round trip of a resolved chip section.
  CHECK(io::parse_config(io::to_toml(c), "t") == c);

  auto failure = [](const std::string& text) {
    try {
      io::parse_config(text, "t.toml");
    } catch (const parameter_error& e) {
      return std::string(e.what());
    }
    FAIL("no error");
    return std::string();
  };
  CHECK_THAT(failure("[chip]\nprofile = \"loihi\"\nweight_bits = 16\n"),
             Contains("chip.weight_bits") && Contains("line 3"));
  CHECK_THAT(failure("[chip]\nprofile = \"xylo\"\nquantizer = \"lava\"\n"),
             Contains("chip.quantizer"));
  CHECK_THAT(failure("[chip]\nkernel = \"fixed\"\n"), Contains("chip.state_bits"));
  CHECK_THAT(failure("[chip]\nrounding = \"up\"\n"), Contains("chip.rounding"));
  CHECK_THAT(failure("[chip]\nprofile = \"truenorth\"\n"),
             Contains("chip.profile") && Contains("line 2"));
}

TEST_CASE("profile files: unknown keys, wrong types and bad values name key and line", "[chip]") {
  test::scratch_dir dir;
  auto write = [&](const std::string& text) {
    const std::string path = (dir.path / "p.toml").string();
    std::ofstream(path) << text;
    return path;
  };
  auto message = [](const std::string& path) {
    try {
      io::load_profile_file(path);
    } catch (const input_error& e) {
      return std::string(e.what());
    }
    FAIL("no error");
    return std::string();
  };
  CHECK_THAT(message(write("base = \"spinnaker\"\nweight_bitz = 3\n")),
             Contains("weight_bitz") && Contains("line 2"));
  CHECK_THAT(message(write("weight_bits = \"eight\"\n")),
             Contains("weight_bits") && Contains("line 1"));
  CHECK_THAT(message(write("base = \"spinnaker\"\nrounding = \"up\"\n")),
             Contains("rounding") && Contains("line 2"));
  CHECK_THAT(message(write("base = \"ibm\"\n")), Contains("base"));
  CHECK_THAT(message(write("kernel = \"loihi\"\n")), Contains("chip.weight_bits"));
  CHECK_THAT(message(write("[chip\n")), Contains("syntax"));
  CHECK_THAT(message((dir.path / "missing.toml").string()), Contains("missing.toml"));
}
