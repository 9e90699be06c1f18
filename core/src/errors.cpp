#include "chaoschip/core/errors.hpp"

#include <utility>

namespace chaoschip {

namespace {
std::string parameter_message(const std::string& key, const std::string& value,
                              const std::string& expected, const std::string& location) {
  std::string m = "'" + key + "'";
  if (!location.empty()) m += " (" + location + ")";
  m += ": got " + value + ", expected " + expected;
  return m;
}
}  // namespace

parameter_error::parameter_error(std::string key, std::string value, std::string expected,
                                 std::string location)
    : input_error(parameter_message(key, value, expected, location)),
      key_(std::move(key)),
      value_(std::move(value)),
      expected_(std::move(expected)) {}

file_error::file_error(std::string file, std::string detail)
    : input_error("'" + file + "': " + detail), file_(std::move(file)) {}

numerical_error::numerical_error(std::string where, std::int64_t step, std::string detail)
    : error(where + " at step " + std::to_string(step) + ": " + detail),
      where_(std::move(where)),
      step_(step) {}

}  // namespace chaoschip
