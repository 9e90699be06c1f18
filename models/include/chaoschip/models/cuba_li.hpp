#pragma once
// NIR's CubaLI: tau_syn di/dt = -i + w_in I, tau_mem dv/dt = v_leak - v + r i, no
// threshold; the graded output is v. Euler updates i first and v with the new i.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/models/nir_common.hpp"

namespace chaoschip::models {

struct cuba_li_parameters {
  nir::cuba_parameters cuba{};
  integrator scheme = integrator::exact;
};

class cuba_li : public with_recordables<cuba_li> {
 public:
  using parameters = cuba_li_parameters;
  struct state {
    Eigen::VectorXd y;     // v, the graded output
    Eigen::ArrayXd i_syn;  // synaptic current
  };
  static constexpr output_kind output = output_kind::graded;

  cuba_li(const parameters& p, double dt);
  std::string_view name() const noexcept { return "cuba_li"; }
  state make_state(std::size_t n) const;
  void step(state& s, const Eigen::Ref<const Eigen::VectorXd>& input) const;
  // Tangent space [v; i_syn], the output v fed back through w (linear: exact).
  std::size_t tangent_dim(std::size_t n) const noexcept { return 2 * n; }
  void jacobian_apply(const state&, const projection* w, Eigen::Ref<Eigen::MatrixXd> q) const {
    nir::cuba_jacobian_apply(prop_, w, q);
  }
  void weight_factor_pre(const state&, const Eigen::Ref<const Eigen::MatrixXd>& q,
                         Eigen::Ref<Eigen::MatrixXd> pre) const {
    nir::cuba_weight_factor_pre(nullptr, q, pre);
  }
  void weight_factor_post(const state&, const Eigen::Ref<const Eigen::MatrixXd>& m,
                          Eigen::Ref<Eigen::MatrixXd> post) const {
    nir::cuba_weight_factor_post(prop_, m, post);
  }

  static constexpr auto recordables() {
    using r = recordable<cuba_li>;
    return std::array{r{"v", &state::y}, r{"i", &state::i_syn}};
  }
  const parameters& params() const noexcept { return p_; }
  const nir::cuba_propagator& propagator() const noexcept { return prop_; }

 private:
  parameters p_;
  nir::cuba_propagator prop_;
  Eigen::Index size_ = 1;
};

}  // namespace chaoschip::models
