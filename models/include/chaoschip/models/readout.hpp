#pragma once
// Leaky readout: y <- alpha_out y + c_out * input, alpha_out = exp(-dt/tau),
// c_out = 1 - alpha_out (NEST's eprop_readout); tau = 0 gives the instantaneous y = input.
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"

namespace chaoschip::models {

struct readout_parameters {
  double tau = 30.0;  // ms
};

class readout {
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
  std::vector<std::string> variables() const { return {"y"}; }
  Eigen::VectorXd variable(const state& s, std::string_view var) const;
  void set_variable(state& s, std::string_view var,
                    const Eigen::Ref<const Eigen::VectorXd>& value) const;
  double alpha() const noexcept { return alpha_; }
  double c() const noexcept { return c_; }

 private:
  double alpha_, c_;
};

}  // namespace chaoschip::models
