#pragma once
// One table of names per enum: the config schema's allowed values, the parsers, the error
// messages ("one of ...") and the docs all read it, so a name lives in one place.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

template <class E>
struct enum_name {
  E value;
  std::string_view name;
};

template <class E, std::size_t N>
using enum_table = std::array<enum_name<E>, N>;

// The name of `value` ("?" for a value the table lacks).
template <class E, std::size_t N>
constexpr std::string_view name_of(const enum_table<E, N>& table, E value) noexcept {
  for (const auto& e : table)
    if (e.value == value) return e.name;
  return "?";
}

template <class E, std::size_t N>
constexpr std::optional<E> find_name(const enum_table<E, N>& table,
                                     std::string_view name) noexcept {
  for (const auto& e : table)
    if (e.name == name) return e.value;
  return std::nullopt;
}

// The names in table order.
template <class E, std::size_t N>
std::vector<std::string> names_of(const enum_table<E, N>& table) {
  std::vector<std::string> out;
  for (const auto& e : table) out.emplace_back(e.name);
  return out;
}

// "one of \"a\", \"b\"": what an error message says is expected.
std::string one_of_names(const std::vector<std::string>& names);

// The value named `name`; parameter_error(key, "\"name\"", "one of ...") otherwise.
template <class E, std::size_t N>
E parse_name(const enum_table<E, N>& table, std::string_view name, std::string_view key) {
  if (auto v = find_name(table, name)) return *v;
  throw parameter_error(std::string(key), "\"" + std::string(name) + "\"",
                        one_of_names(names_of(table)));
}

}  // namespace chaoschip
