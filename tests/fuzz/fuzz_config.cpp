// The TOML config loader with --set overrides (`chaoschip run CONFIG --set KEY=VALUE`).
// Input: the TOML text up to the first NUL byte; every further NUL-separated piece is one
// override. A config that loads must also survive what run files do with it: written
// back as TOML (to_toml), it must parse to the same values.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/io/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace chaoschip;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const auto first = all.find('\0');
  const std::string_view text = all.substr(0, first);
  std::vector<std::string> overrides;
  for (auto at = first; at != std::string_view::npos;) {
    const auto next = all.find('\0', at + 1);
    overrides.emplace_back(all.substr(at + 1, next == std::string_view::npos ? next : next - at - 1));
    at = next;
  }
  io::run_config config;
  if (!fuzz::accepts("parse_config", [&] { config = io::parse_config(text, "<fuzz>", overrides); }))
    return 0;
  const std::string toml = io::to_toml(config);
  io::run_config again;
  if (!fuzz::accepts("parse_config(to_toml)",
                     [&] { again = io::parse_config(toml, "<fuzz: to_toml>"); }))
    fuzz::finding("to_toml wrote a config that does not load again:\n" + toml);
  if (!(again == config))
    fuzz::finding("to_toml does not round-trip:\n" + toml + "\nreads back as\n" + io::to_toml(again));
  fuzz::accepts("check_supported", [&] { experiment::check_supported(config); });
  return 0;
}
