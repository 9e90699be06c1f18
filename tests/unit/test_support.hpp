#pragma once
// Helpers shared by the unit tests.
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::test {

// A fresh directory under the system temp dir, removed with everything in it.
struct scratch_dir {
  std::filesystem::path path;
  scratch_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "chaoschip_test_XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path))
      names.push_back(e.path().filename());
    return names;
  }
};

// The message of the file_error that f throws (fails the test when it throws none).
template <class F>
std::string file_error_message(F&& f) {
  try {
    f();
  } catch (const file_error& e) {
    return e.what();
  }
  FAIL("expected a file_error");
  return {};
}

}  // namespace chaoschip::test
