#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/enum_names.hpp"

#include <utility>

namespace chaoschip {

namespace {
std::string parameter_message(const std::string& key, const std::string& value,
                              const std::string& expected, const std::string& location) {
  // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on chained operator+.
  std::string m;
  for (const std::string* part : {&key, &location, &value, &expected})
    m.reserve(m.size() + part->size());
  m.append("'").append(key).append("'");
  if (!location.empty()) m.append(" (").append(location).append(")");
  m.append(": got ").append(value).append(", expected ").append(expected);
  return m;
}
}  // namespace

parameter_error::parameter_error(std::string key, std::string value, std::string expected,
                                 std::string location)
    : input_error(parameter_message(key, value, expected, location)),
      key_(std::move(key)),
      value_(std::move(value)),
      expected_(std::move(expected)),
      location_(std::move(location)) {}

file_error::file_error(std::string file, std::string detail)
    : input_error(std::string("'").append(file).append("': ").append(detail)),
      file_(std::move(file)) {}

numerical_error::numerical_error(std::string where, std::int64_t step, std::string detail)
    : error(std::string(where)
                .append(" at step ")
                .append(std::to_string(step))
                .append(": ")
                .append(detail)),
      where_(std::move(where)),
      step_(step) {}

std::string one_of_names(const std::vector<std::string>& names) {
  std::string out = "one of ";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
  return out;
}

}  // namespace chaoschip
