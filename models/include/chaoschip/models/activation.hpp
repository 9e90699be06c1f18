#pragma once
// Rate nonlinearities phi and their derivatives.
#include <string_view>

#include <Eigen/Core>

#include "chaoschip/core/enum_names.hpp"

namespace chaoschip::models {

enum class activation { tanh, relu, linear };
inline constexpr enum_table<activation, 3> activation_names{
    {{activation::tanh, "tanh"}, {activation::relu, "relu"}, {activation::linear, "linear"}}};

activation parse_activation(std::string_view var);  // parameter_error on neuron.phi
std::string_view to_string(activation a) noexcept;

template <class Derived>
Eigen::ArrayXd apply_activation(activation a, const Eigen::ArrayBase<Derived>& h) {
  switch (a) {
    case activation::tanh:
      return h.tanh();
    case activation::relu:
      return h.max(0.0);
    case activation::linear:
      break;
  }
  return h;
}

template <class Derived>
Eigen::ArrayXd activation_derivative(activation a, const Eigen::ArrayBase<Derived>& h) {
  switch (a) {
    case activation::tanh:
      return 1.0 - h.tanh().square();
    case activation::relu:
      return (h > 0.0).template cast<double>();
    case activation::linear:
      break;
  }
  return Eigen::ArrayXd::Ones(h.size());
}

// phi''(h) (flossing's exact gradient: the Jacobian depends on h through phi').
template <class Derived>
Eigen::ArrayXd activation_second_derivative(activation a, const Eigen::ArrayBase<Derived>& h) {
  if (a == activation::tanh) {
    const Eigen::ArrayXd t = h.tanh();
    return -2.0 * t * (1.0 - t.square());
  }
  return Eigen::ArrayXd::Zero(h.size());  // relu (almost everywhere), linear
}

}  // namespace chaoschip::models
