// Case files (network.init = "file", task.name = "file"): HDF5 bytes as a file. The
// dimensions are those of the seed (tests/fuzz/corpus/case_file/): n_in = 3, n_rec = 4,
// n_out = 2.
#include <cstdint>

#include "chaoschip/io/case_file.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace chaoschip;
  static fuzz::scratch_file file(".h5");
  file.write(data, size);
  fuzz::accepts("read_case_weights", [&] { io::read_case_weights(file.path(), 3, 4, 2); });
  fuzz::accepts("read_case_task", [&] { io::read_case_task(file.path(), 3, 2); });
  return 0;
}
