#include "chaoschip/io/whatif_file.hpp"

#include "h5.hpp"

namespace chaoschip::io {

run_config whatif_config(const run_config& config) {
  run_config c = config;
  c.train.rule = "none";
  c.floss.enabled = false;
  return c;
}

void write_whatif(const std::string& path, const std::vector<whatif_row>& rows,
                  const run_config& config, const whatif_options& options) {
  const auto held = h5::lock();
  h5::atomic_file out(path);
  h5::guard(path, h5::writing, [&] {
    const H5::H5File& f = out.file();
    h5::write_provenance(f, to_toml(whatif_config(config)));
    const H5::Group g = h5::require_group(f, "whatif");
    std::vector<std::string> profile, rounding;
    std::vector<std::int64_t> bits;
    std::vector<double> rate, change, distance, loss;
    for (const auto& r : rows) {
      profile.push_back(r.profile);
      rounding.push_back(r.rounding);
      bits.push_back(r.weight_bits);
      rate.push_back(r.rate_hz);
      change.push_back(r.rate_change);
      distance.push_back(r.distance);
      loss.push_back(r.loss);
    }
    const h5::shape_t shape{rows.size()};
    h5::write_strings(g, "profile", profile);
    h5::write_strings(g, "rounding", rounding);
    h5::write_dataset(g, "weight_bits", bits.data(), shape);
    h5::write_dataset(g, "rate_hz", rate.data(), shape);
    h5::write_dataset(g, "rate_change", change.data(), shape);
    h5::write_dataset(g, "distance", distance.data(), shape);
    h5::write_dataset(g, "loss", loss.data(), shape);
    h5::write_attribute(g, "distance_tau_ms", options.tau_ms);
    h5::write_attribute(g, "description",
                        "row 0: float64 reference; then one row per (weight_bits, rounding) on "
                        "the config's chip profile. distance: normalised van Rossum distance of "
                        "the recurrent spike trains to the reference; rate_change: relative "
                        "change of the mean recurrent rate");
  });
  out.commit();
}

}  // namespace chaoschip::io
