#pragma once
// Leaky readout: y <- alpha_out y + c_out * input, alpha_out = exp(-dt/tau),
// c_out = 1 - alpha_out (NEST's eprop_readout); tau = 0 gives the instantaneous y = input.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"

namespace chaoschip::models {

struct readout_parameters {
  double tau = 30.0;  // ms
};

class readout : public with_recordables<readout> {
 public:
  using parameters = readout_parameters;
  struct state {
    Eigen::VectorXd y;
  };
  std::string_view name() const noexcept { return "readout"; }
  static constexpr output_kind output = output_kind::graded;

  readout(const parameters& p, double dt);
  state make_state(std::size_t n) const {
    return {Eigen::VectorXd::Zero(static_cast<Eigen::Index>(n))};
  }
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const {
    s.y = alpha_ * s.y + c_ * input;
  }
  static constexpr auto recordables() { return std::array{recordable<readout>{"y", &state::y}}; }
  double alpha() const noexcept { return alpha_; }
  double c() const noexcept { return c_; }

 private:
  double alpha_, c_;
};

}  // namespace chaoschip::models
