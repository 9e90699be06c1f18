#include "chaoschip/core/population.hpp"

#include <string>

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

const Eigen::VectorXd& population::graded() const noexcept {
  static const Eigen::VectorXd empty;  // spiking populations have no graded output
  return empty;
}

Eigen::VectorXd population::variable(std::string_view name) const {
  throw error("population '" + std::string(model()) + "' has no state variable '" +
              std::string(name) + "'");
}

void population::set_variable(std::string_view name, const Eigen::Ref<const Eigen::VectorXd>&) {
  throw error("population '" + std::string(model()) + "' has no settable state variable '" +
              std::string(name) + "'");
}

void population::receive(std::size_t, std::int64_t, std::span<const std::uint32_t>,
                         const projection&) {
  throw error("population '" + std::string(model()) + "' does not take event input");
}

void population::step_tangent(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>& input,
                              const projection* recurrent, Eigen::Ref<Eigen::MatrixXd> q) {
  if (auto* f = tangent()) return f->advance(t, input, recurrent, q);
  throw error("population '" + std::string(model()) + "' has no tangent dynamics");
}

void population::jacobian_apply(const projection* recurrent, Eigen::Ref<Eigen::MatrixXd> q) const {
  if (const auto* f = tangent(); f && f->separable()) return f->apply(recurrent, q);
  throw error("population '" + std::string(model()) +
              "' cannot apply its Jacobian without stepping");
}

void population::weight_factor_pre(const Eigen::Ref<const Eigen::MatrixXd>& q,
                                   Eigen::Ref<Eigen::MatrixXd> pre) const {
  if (const auto* f = tangent(); f && f->weight_factors()) return f->factor_pre(q, pre);
  throw error("population '" + std::string(model()) +
              "' does not expose its Jacobian's weight factors");
}

void population::weight_factor_post(const Eigen::Ref<const Eigen::MatrixXd>& m,
                                    Eigen::Ref<Eigen::MatrixXd> post) const {
  if (const auto* f = tangent(); f && f->weight_factors()) return f->factor_post(m, post);
  throw error("population '" + std::string(model()) +
              "' does not expose its Jacobian's weight factors");
}

void population::diagonal_jacobian(Eigen::VectorXd& a, Eigen::VectorXd& c,
                                   Eigen::VectorXd& s) const {
  if (const auto* f = tangent(); f && f->diagonal()) return f->diagonal_factors(a, c, s);
  throw error("population '" + std::string(model()) + "' has no diagonal Jacobian factors");
}

}  // namespace chaoschip
