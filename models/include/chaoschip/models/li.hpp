#pragma once
// NIR's LI: tau dv/dt = (v_leak - v) + r I, no threshold; the graded output is v.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/models/nir_common.hpp"

namespace chaoschip::models {

struct li_parameters {
  Eigen::ArrayXd tau = nir::uniform(10.0);
  Eigen::ArrayXd r = nir::uniform(1.0);
  Eigen::ArrayXd v_leak = nir::uniform(0.0);
  integrator scheme = integrator::exact;
};

class li : public with_recordables<li> {
 public:
  using parameters = li_parameters;
  struct state {
    Eigen::VectorXd y;  // v, the graded output
  };
  static constexpr output_kind output = output_kind::graded;

  li(const parameters& p, double dt);
  std::string_view name() const noexcept { return "li"; }
  state make_state(std::size_t n) const;
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  // Tangent space [v], the output v fed back through w (linear: exact).
  std::size_t tangent_dim(std::size_t n) const noexcept { return n; }
  void jacobian_apply(const state&, const projection* w, Eigen::Ref<Eigen::MatrixXd> q) const {
    nir::leaky_jacobian_apply(prop_, w, q);
  }
  void weight_factor_pre(const state&, const Eigen::Ref<const Eigen::MatrixXd>& q,
                         Eigen::Ref<Eigen::MatrixXd> pre) const {
    nir::leaky_weight_factor_pre(nullptr, q, pre);
  }
  void weight_factor_post(const state&, const Eigen::Ref<const Eigen::MatrixXd>& m,
                          Eigen::Ref<Eigen::MatrixXd> post) const {
    nir::leaky_weight_factor_post(prop_, m, post);
  }

  static constexpr auto recordables() {
    using r = recordable<li>;
    return std::array{r{"v", &state::y}};
  }
  const parameters& params() const noexcept { return p_; }
  const nir::leaky_propagator& propagator() const noexcept { return prop_; }

 private:
  parameters p_;
  nir::leaky_propagator prop_;
  Eigen::Index size_ = 1;
};

}  // namespace chaoschip::models
