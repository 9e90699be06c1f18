#pragma once
// The one virtual boundary per population. Concrete neuron models are value types in
// models/ and are wrapped by model_population<Model>, whose loops are templated.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

namespace chaoschip {

class projection;

enum class output_kind { spikes, graded };

// The tangent-space hooks of a population (Lyapunov spectra, flossing) as one optional
// facet: population::tangent() is nullptr for a population without tangent dynamics. The
// population's own tangent_dim(), step_tangent(), jacobian_apply(), weight factors and
// diagonal Jacobian forward to it (and throw, as documented there, when it lacks a hook).
class tangent_facet {
 public:
  virtual std::size_t dim() const noexcept = 0;
  // The Jacobian applied to q, then the step (population::step_tangent).
  virtual void advance(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>& input,
                       const projection* recurrent, Eigen::Ref<Eigen::MatrixXd> q) = 0;
  // Whether apply() works without stepping (population::separable_tangent).
  virtual bool separable() const noexcept = 0;
  virtual void apply(const projection* recurrent, Eigen::Ref<Eigen::MatrixXd> q) const = 0;
  // Local flossing's factors (population::weight_factor_pre/post), when weight_factors().
  virtual bool weight_factors() const noexcept = 0;
  virtual void factor_pre(const Eigen::Ref<const Eigen::MatrixXd>& q,
                          Eigen::Ref<Eigen::MatrixXd> pre) const = 0;
  virtual void factor_post(const Eigen::Ref<const Eigen::MatrixXd>& m,
                           Eigen::Ref<Eigen::MatrixXd> post) const = 0;
  // D = diag(a) + diag(c) W diag(s) (population::diagonal_jacobian), when diagonal().
  virtual bool diagonal() const noexcept = 0;
  virtual void diagonal_factors(Eigen::VectorXd& a, Eigen::VectorXd& c,
                                Eigen::VectorXd& s) const = 0;

 protected:
  ~tangent_facet() = default;  // owned by its population
};

class population {
 public:
  virtual ~population() = default;

  virtual std::string_view model() const noexcept = 0;
  virtual std::size_t size() const noexcept = 0;
  virtual output_kind output() const noexcept = 0;

  // Back to the initial state.
  virtual void reset() = 0;
  // Advance one step; `input` is the summed synaptic input arriving at step t.
  virtual void step(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>& input) = 0;

  // Output of the last step: the spiking neurons (an index may repeat for several spikes
  // in one step) or the graded values.
  virtual std::span<const std::uint32_t> spikes() const noexcept { return {}; }
  virtual const Eigen::VectorXd& graded() const noexcept;

  // Recordable state variables (each of size()).
  virtual std::vector<std::string> variables() const { return {}; }
  virtual Eigen::VectorXd variable(std::string_view name) const;
  // Set a state variable (initial conditions, tests, replay of recorded states).
  virtual void set_variable(std::string_view name, const Eigen::Ref<const Eigen::VectorXd>& value);

  // Event input: a population whose arithmetic depends on each single incoming spike
  // (per-event saturating adds, as Xylo) receives the spikes and their projection instead
  // of summed input. `port` numbers the incoming connections in the order they were made;
  // the spikes are to be integrated at step `arrival`.
  virtual bool event_input() const noexcept { return false; }
  virtual void receive(std::size_t port, std::int64_t arrival,
                       std::span<const std::uint32_t> spikes, const projection& weights);

  // Continuous coupling: a rate_ode population integrates W * phi(h) inside its ODE
  // instead of receiving it as delayed events. The network hands it the projection.
  virtual bool continuous_coupling() const noexcept { return false; }
  virtual void set_coupling(const projection* recurrent) { (void)recurrent; }

  // The tangent-space facet; nullptr: no tangent dynamics.
  virtual tangent_facet* tangent() noexcept { return nullptr; }
  virtual const tangent_facet* tangent() const noexcept { return nullptr; }

  // Tangent space of the population's state (0: no dynamics of its own).
  virtual std::size_t tangent_dim() const noexcept {
    const auto* f = tangent();
    return f ? f->dim() : 0;
  }
  // Apply the Jacobian of the next step, D_t = d s_{t+1} / d s_t at the current state,
  // to a block of tangent vectors q (tangent_dim x k), then take the step itself.
  // `recurrent` holds the recurrent weights (nullptr: none).
  virtual void step_tangent(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>& input,
                            const projection* recurrent, Eigen::Ref<Eigen::MatrixXd> q);
  // Whether the Jacobian of the next step is a function of the current state alone, so it
  // can be applied without stepping (discrete-time models; not ODEs integrated jointly).
  virtual bool separable_tangent() const noexcept {
    const auto* f = tangent();
    return f && f->separable();
  }
  // q <- D q at the current state, without stepping (separable_tangent() only).
  virtual void jacobian_apply(const projection* recurrent, Eigen::Ref<Eigen::MatrixXd> q) const;

  // How the recurrent weights W enter the step's Jacobian: D q = A q + C W (S q), with S
  // and C given by the state. weight_factor_pre gives S q (size() x k) for tangent vectors q
  // (tangent_dim() x k); weight_factor_post gives C^T m (size() x k) for m (tangent_dim()
  // x k). So d<m, D q>/dW = (C^T m) (S q)^T, the local flossing gradient's two factors.
  virtual bool has_weight_factors() const noexcept {
    const auto* f = tangent();
    return f && f->weight_factors();
  }
  virtual void weight_factor_pre(const Eigen::Ref<const Eigen::MatrixXd>& q,
                                 Eigen::Ref<Eigen::MatrixXd> pre) const;
  virtual void weight_factor_post(const Eigen::Ref<const Eigen::MatrixXd>& m,
                                  Eigen::Ref<Eigen::MatrixXd> post) const;

  // Models whose Jacobian is D = diag(a) + diag(c) W diag(s) (tangent_dim() == size()):
  // the three vectors at the current state, so that D can be formed in O(size()^2) (the
  // Lyapunov engine's full-spectrum path).
  virtual bool has_diagonal_jacobian() const noexcept {
    const auto* f = tangent();
    return f && f->diagonal();
  }
  virtual void diagonal_jacobian(Eigen::VectorXd& a, Eigen::VectorXd& c, Eigen::VectorXd& s) const;
};

}  // namespace chaoschip
