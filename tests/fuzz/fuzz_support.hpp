#pragma once
// Shared by the libFuzzer targets: inputs handed to the readers as files, and the rule for
// what counts as a finding. An input_error or numerical_error is the reader rejecting bad
// input, as it should; any other exception (reported here, then abort), a crash, a hang,
// a sanitizer report or a leak is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::fuzz {

// The readers take paths, so each input is written to one file in /dev/shm (memory, not
// disk), reused for every input of the process and removed at exit.
class scratch_file {
 public:
  explicit scratch_file(std::string_view suffix)
      : path_(directory() + "/chaoschip-fuzz-" + std::to_string(getpid()) + std::string(suffix)) {}
  ~scratch_file() { std::remove(path_.c_str()); }
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;

  const std::string& write(const std::uint8_t* data, std::size_t size) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
      std::fprintf(stderr, "fuzz: cannot write %s\n", path_.c_str());
      std::abort();
    }
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  static std::string directory() {
    if (const char* d = std::getenv("CHAOSCHIP_FUZZ_TMP")) return d;
    return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  }
  std::string path_;
};

// Runs fn; an expected rejection returns false, anything else that is thrown aborts with
// its message (libFuzzer then saves the input as a crash).
template <class F>
bool accepts(const char* what, F&& fn) {
  try {
    fn();
    return true;
  } catch (const input_error&) {
  } catch (const numerical_error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: %s threw an unexpected exception: %s\n", what, e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: %s threw a non-std exception\n", what);
    std::abort();
  }
  return false;
}

// Fails the input: a property that must hold did not.
[[noreturn]] inline void finding(const std::string& message) {
  std::fprintf(stderr, "fuzz: %s\n", message.c_str());
  std::abort();
}

}  // namespace chaoschip::fuzz
