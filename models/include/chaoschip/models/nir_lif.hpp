#pragma once
// NIR's LIF: tau dv/dt = (v_leak - v) + r I, spike z = [v > v_threshold], reset in the same
// step (to v_reset, or by subtracting v_threshold); the stored v is after the reset (as
// NIR's reference trace, tests/data/nir/lif_norse_trace.csv). dt and tau in one unit.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/models/nir_common.hpp"

namespace chaoschip::models {

struct nir_lif_parameters {
  Eigen::ArrayXd tau = nir::uniform(10.0);
  Eigen::ArrayXd r = nir::uniform(1.0);
  Eigen::ArrayXd v_leak = nir::uniform(0.0);
  nir::threshold_parameters threshold{};
  integrator scheme = integrator::exact;
};

class nir_lif : public with_recordables<nir_lif> {
 public:
  using parameters = nir_lif_parameters;
  struct state {
    Eigen::ArrayXd v;    // membrane after the reset
    Eigen::ArrayXd z;    // spikes of the last step, 0/1
    Eigen::ArrayXd psi;  // pseudo-derivative of the last step
    std::vector<std::uint32_t> spiking;
  };
  static constexpr output_kind output = output_kind::spikes;

  nir_lif(const parameters& p, double dt);
  std::string_view name() const noexcept { return "nir_lif"; }
  state make_state(std::size_t n) const;
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  const Eigen::ArrayXd& pseudo_derivative(const state& s) const noexcept { return s.psi; }

  static constexpr auto recordables() {
    using r = recordable<nir_lif>;
    return std::array{
        r{"v", &state::v},
        r{.name = "psi", .member = &state::psi, .settable = false, .recorded = false}};
  }
  const parameters& params() const noexcept { return p_; }
  const nir::leaky_propagator& propagator() const noexcept { return prop_; }

 private:
  parameters p_;
  nir::leaky_propagator prop_;
  Eigen::Index size_ = 1;
};

}  // namespace chaoschip::models
