// Chip profile files (`chip.profile = "path/to/profile.toml"`, examples/chips/).
#include <cstdint>

#include "chaoschip/io/chip.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace chaoschip;
  static fuzz::scratch_file file(".toml");
  file.write(data, size);
  fuzz::accepts("load_profile_file", [&] { io::load_profile_file(file.path()); });
  // The same file named from a config's [chip] section, with one field overridden.
  io::chip_config chip;
  chip.profile = file.path();
  chip.weight_bits = 8;
  fuzz::accepts("resolve_chip", [&] { io::resolve_chip(chip); });
  return 0;
}
