// Path safety: outputs never replace a device, a FIFO or an input; inputs are regular files;
// a file that cannot be written completely leaves neither itself nor a temporary behind.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../../io/src/h5.hpp"
#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/paths.hpp"
#include "chaoschip/io/run_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace chaoschip;
namespace h5 = chaoschip::io::h5;
using Catch::Matchers::Contains;
using chaoschip::test::file_error_message;
using chaoschip::test::scratch_dir;

namespace {

void touch(const fs::path& p, const std::string& text = "x\n") {
  std::ofstream(p) << text;
}

fs::path make_fifo(const fs::path& p) {
  REQUIRE(::mkfifo(p.c_str(), 0600) == 0);
  return p;
}

bool still_a_fifo(const fs::path& p) {
  return fs::is_fifo(fs::symlink_status(p));
}

}  // namespace

TEST_CASE("check_input_file refuses FIFOs, devices and directories", "[paths]") {
  scratch_dir dir;
  touch(dir.path / "ok.toml");
  CHECK_NOTHROW(io::check_input_file((dir.path / "ok.toml").string()));
  CHECK_NOTHROW(io::check_input_file((dir.path / "missing.toml").string()));  // caller's job
  const auto fifo = make_fifo(dir.path / "pipe.toml").string();
  CHECK_THAT(file_error_message([&] { io::check_input_file(fifo); }), Contains("FIFO"));
  fs::create_symlink(fifo, dir.path / "link.toml");
  CHECK_THAT(file_error_message([&] { io::check_input_file((dir.path / "link.toml").string()); }),
             Contains("FIFO"));
  CHECK_THAT(file_error_message([&] { io::check_input_file("/dev/null"); }),
             Contains("character device"));
  CHECK_THAT(file_error_message([&] { io::check_input_file(dir.path.string()); }),
             Contains("directory"));
  CHECK_THAT(file_error_message([&] { io::check_input_file(std::string(300, 'x') + ".h5"); }),
             Contains("too long"));
}

TEST_CASE("the file readers refuse a FIFO instead of blocking on it", "[paths]") {
  scratch_dir dir;
  const auto fifo = make_fifo(dir.path / "pipe").string();
  CHECK_THAT(file_error_message([&] { io::load_config(fifo); }), Contains("FIFO"));
  CHECK_THAT(file_error_message([&] { io::summarize_run_file(fifo); }), Contains("FIFO"));
  CHECK_THAT(file_error_message([&] { io::read_config_attribute(fifo); }), Contains("FIFO"));
  const auto profile = make_fifo(dir.path / "chip.toml").string();
  CHECK_THAT(file_error_message(
                 [&] { io::parse_config("[chip]\nprofile = \"" + profile + "\"\n", "test"); }),
             Contains("FIFO"));
}

TEST_CASE("check_output_file refuses what it must not replace", "[paths]") {
  scratch_dir dir;
  CHECK_NOTHROW(io::check_output_file((dir.path / "new.h5").string()));
  touch(dir.path / "old.h5");
  CHECK_NOTHROW(io::check_output_file((dir.path / "old.h5").string()));
  // Only checked, never written: the real /dev/null is safe here.
  CHECK_THAT(file_error_message([&] { io::check_output_file("/dev/null"); }),
             Contains("character device"));
  const auto fifo = make_fifo(dir.path / "pipe.h5");
  CHECK_THAT(file_error_message([&] { io::check_output_file(fifo.string()); }), Contains("FIFO"));
  CHECK_THAT(file_error_message([&] { io::check_output_file(dir.path.string()); }),
             Contains("is a directory"));
  CHECK_THAT(file_error_message([&] { io::check_output_file((dir.path / "no/x.h5").string()); }),
             Contains("does not exist"));
  // 300 characters exceed the file system's limit; 240 leave no room for the temporary name.
  for (const std::size_t n : {300, 240}) {
    const std::string name = (dir.path / (std::string(n, 'x') + ".h5")).string();
    CHECK_THAT(file_error_message([&] { io::check_output_file(name); }), Contains("too long"));
  }
  CHECK_NOTHROW(io::check_output_file((dir.path / (std::string(200, 'x') + ".h5")).string()));
  touch(dir.path / "file");
  CHECK_THAT(file_error_message([&] { io::check_output_directory((dir.path / "file").string()); }),
             Contains("expected an output directory"));
  CHECK_NOTHROW(io::check_output_directory(dir.path.string()));
  CHECK_NOTHROW(io::check_output_directory((dir.path / "new").string()));
}

TEST_CASE("atomic_file never replaces a FIFO and leaves no temporary", "[paths][h5]") {
  scratch_dir dir;
  const auto fifo = make_fifo(dir.path / "out.h5");
  io::run_data data;
  data.config_toml = "seed = 1\n";
  CHECK_THAT(file_error_message([&] { io::write_run_file(fifo.string(), data); }),
             Contains("FIFO"));
  CHECK(still_a_fifo(fifo));
  CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
}

TEST_CASE("check_not_an_input compares files by identity, not by name", "[paths]") {
  scratch_dir dir;
  const fs::path input = dir.path / "case.h5";
  touch(input);
  fs::create_symlink(input, dir.path / "soft.h5");
  fs::create_hard_link(input, dir.path / "hard.h5");
  touch(dir.path / "other.h5");
  const std::vector<std::string> inputs{input.string()};
  for (const auto& output : {input.string(), (dir.path / "." / "case.h5").string(),
                             (dir.path / "soft.h5").string(), (dir.path / "hard.h5").string()}) {
    CAPTURE(output);
    CHECK_THAT(file_error_message([&] { io::check_not_an_input(output, inputs, "run"); }),
               Contains("chaoschip run never writes over its input"));
  }
  // The input given through a link is caught too.
  CHECK_THROWS_AS(io::check_not_an_input(input.string(), {(dir.path / "soft.h5").string()}, "run"),
                  file_error);
  CHECK_NOTHROW(io::check_not_an_input((dir.path / "other.h5").string(), inputs, "run"));
  CHECK_NOTHROW(io::check_not_an_input((dir.path / "new.h5").string(), inputs, "run"));
  CHECK_NOTHROW(io::check_not_an_input(input.string(), {}, "run"));
}

TEST_CASE("config_inputs lists the files a config reads", "[paths]") {
  scratch_dir dir;
  const std::string profile = (dir.path / "chip.toml").string();
  touch(profile, "base = \"loihi\"\nweight_bits = 6\n");
  const auto cfg = io::parse_config(
      "[network]\ninit = \"file\"\nfile = \"w.h5\"\n[task]\nname = \"file\"\nfile = \"t.h5\"\n"
      "[chip]\nprofile = \"" +
          profile + "\"\n",
      "test");
  // Paths given outside a config file resolve against the current directory.
  const auto here = std::filesystem::current_path();
  CHECK(io::config_inputs(cfg) ==
        std::vector<std::string>{(here / "w.h5").string(), (here / "t.h5").string(), profile});
  // A file named by a key that is not in use is not read.
  const auto plain =
      io::parse_config("[network]\nfile = \"w.h5\"\n[task]\nfile = \"t.h5\"\n", "test");
  CHECK(io::config_inputs(plain).empty());
}

TEST_CASE("a file that cannot be written completely leaves nothing behind", "[paths][h5]") {
  // A file-size limit makes write(2) fail (EFBIG) in the middle of the file, the way a full
  // disk does (ENOSPC, tested with a small tmpfs in tests/cli/data_safety.sh).
  scratch_dir dir;
  const std::string path = (dir.path / "big.h5").string();
  touch(path, "old contents\n");
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGXFSZ, &ignore, &previous) == 0);
  rlimit small = old;
  small.rlim_cur = 64 * 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string message;
  try {
    const auto held = h5::lock();
    h5::atomic_file out(path);
    std::vector<double> values(100000);  // 800 kB of noise: gzip cannot shrink it below 64 kB
    std::uint64_t state = 1;
    for (double& v : values)
      v = static_cast<double>((state = state * 6364136223846793005ULL + 1) >> 11);
    h5::write_dataset(out.file(), "x", values.data(), {values.size() / 10, 10});
    out.commit();
  } catch (const file_error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::sigaction(SIGXFSZ, &previous, nullptr);
  CHECK_THAT(message, Contains(path) && Contains("cannot write: file too large"));
  CHECK(dir.entries() == std::vector<std::string>{"big.h5"});
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  CHECK(line == "old contents");
}

TEST_CASE("describe_write_error says what a user understands", "[paths]") {
  CHECK(io::describe_write_error(ENOSPC) == "no space left on device");
  CHECK(io::describe_write_error(EDQUOT) == "disk quota exceeded");
  CHECK(io::describe_write_error(EFBIG) == "file too large");
}
