#pragma once
// Typed errors. The CLI maps input_error -> exit 2, numerical_error -> exit 3, others -> 1.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace chaoschip {

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Anything the user gave us that is wrong: config keys, values, input files.
class input_error : public error {
 public:
  using error::error;
};

// A parameter (config key) with a value outside what is allowed.
class parameter_error : public input_error {
 public:
  parameter_error(std::string key, std::string value, std::string expected,
                  std::string location = {});
  const std::string& key() const noexcept { return key_; }
  const std::string& value() const noexcept { return value_; }
  const std::string& expected() const noexcept { return expected_; }
  const std::string& location() const noexcept { return location_; }  // "" when not known

 private:
  std::string key_, value_, expected_, location_;
};

// A file or a dataset inside a file that cannot be used.
class file_error : public input_error {
 public:
  file_error(std::string file, std::string detail);
  const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
};

// NaN/Inf or divergence detected during a computation.
class numerical_error : public error {
 public:
  numerical_error(std::string where, std::int64_t step, std::string detail);
  const std::string& where() const noexcept { return where_; }
  std::int64_t step() const noexcept { return step_; }

 private:
  std::string where_;
  std::int64_t step_;
};

}  // namespace chaoschip
