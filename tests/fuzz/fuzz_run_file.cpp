// Run files as `chaoschip info` and `chaoschip lyapunov RUN.h5` read them: HDF5 bytes as a
// file; the summary, then the config attribute (parsed as `lyapunov` does), the weights
// and the recorded states.
#include <cstdint>

#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace chaoschip;
  static fuzz::scratch_file file(".h5");
  const std::string& path = file.write(data, size);
  fuzz::accepts("summarize_run_file", [&] { io::summarize_run_file(path); });
  // The weights and states are checked against the file's own config, as `lyapunov` does.
  fuzz::accepts("config, weights and states", [&] {
    const auto config = io::parse_config(io::read_config_attribute(path), path + " (config)");
    experiment::check_supported(config);
    io::read_weights(path, "initial", config);
    io::read_weights(path, "final", config);
    io::read_state_log(path, "recurrent", config);
  });
  return 0;
}
