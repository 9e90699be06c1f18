#pragma once
// NIR's IF: dv/dt = r I (exact and Euler agree), spike z = [v > v_threshold], reset in
// the same step; the stored v is after the reset.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/models/nir_common.hpp"

namespace chaoschip::models {

struct if_neuron_parameters {
  Eigen::ArrayXd r = nir::uniform(1.0);
  nir::threshold_parameters threshold{};
};

class if_neuron : public with_recordables<if_neuron> {
 public:
  using parameters = if_neuron_parameters;
  struct state {
    Eigen::ArrayXd v;    // membrane after the reset
    Eigen::ArrayXd z;    // spikes of the last step, 0/1
    Eigen::ArrayXd psi;  // pseudo-derivative of the last step
    std::vector<std::uint32_t> spiking;
  };
  static constexpr output_kind output = output_kind::spikes;

  if_neuron(const parameters& p, double dt);
  std::string_view name() const noexcept { return "if_neuron"; }
  state make_state(std::size_t n) const;
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  const Eigen::ArrayXd& pseudo_derivative(const state& s) const noexcept { return s.psi; }

  static constexpr auto recordables() {
    using r = recordable<if_neuron>;
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
