#pragma once
// The Lyapunov engine (Benettin et al. 1980; Eckmann & Ruelle 1985): k tangent vectors Q
// ride along a trajectory, Q <- D_t Q with the step's Jacobian D_t, and every
// `ons_interval` steps a Householder QR Q = Q'R keeps Q' and adds log|R_ii| to a running
// sum. Model-agnostic: a system only has to advance its trajectory and apply its Jacobian.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"

namespace chaoschip {

class thread_pool;

// A dynamical system seen by the engine.
class tangent_system {
 public:
  virtual ~tangent_system() = default;
  virtual std::size_t dim() const noexcept = 0;
  // Whether apply() and advance() can be called separately (the Jacobian of the next step
  // is a function of the current state). Then the engine may apply it to blocks of
  // tangent vectors in parallel. Systems that integrate the variational equation together
  // with the trajectory (ODEs) only provide step().
  virtual bool separable() const noexcept { return false; }
  // q <- D_t q for the next step at the current state (separable systems only).
  virtual void apply(Eigen::Ref<Eigen::MatrixXd> q) const;
  // The next step's Jacobian as a dense dim x dim matrix, for systems that can form it in
  // O(dim^2) (has_jacobian_matrix()); the engine's full-spectrum path uses it.
  virtual bool has_jacobian_matrix() const noexcept { return false; }
  virtual void jacobian_matrix(Eigen::MatrixXd& d) const;
  // Advance the trajectory by one step without tangent vectors.
  virtual void advance() = 0;
  // Advance one step and apply its Jacobian to q (dim x k).
  virtual void step(Eigen::Ref<Eigen::MatrixXd> q);

  // The state in tangent coordinates, for twin trajectories (empty: not supported).
  virtual Eigen::VectorXd state() const { return {}; }
  virtual void set_state(const Eigen::Ref<const Eigen::VectorXd>& s);
};

struct lyapunov_options {
  std::size_t k = 1;               // number of exponents
  std::int64_t steps = 2000;       // counted steps
  std::int64_t warmup = 500;       // steps before counting (trajectory and tangent space)
  std::int64_t ons_interval = 1;   // steps between QR re-orthonormalisations
  std::uint64_t seed = 0;          // tangent vectors: random_stream(seed, "lyapunov.tangent")
  std::int64_t checkpoints = 100;  // at most this many rows of convergence history
  // Parallel over blocks of `block` tangent vectors (separable systems); results are
  // bit-identical for any pool size because the blocks do not depend on it.
  thread_pool* pool = nullptr;
  std::size_t block = 256;
  // Called after every step with (steps done, total steps): progress displays.
  std::function<void(std::int64_t, std::int64_t)> progress;
};

struct lyapunov_result {
  Eigen::VectorXd exponents;                   // [k], descending, natural log per step
  Eigen::MatrixXd convergence;                 // [checkpoints, k] running estimates, by index
  std::vector<std::int64_t> checkpoint_steps;  // counted steps at each checkpoint
  std::vector<double> cond;                    // per QR: max|R_ii| / min|R_ii| (cond(Q) estimate)
  std::int64_t counted_steps = 0;
  double kaplan_yorke = 0.0;  // NaN when the k exponents do not determine it
  double entropy_rate = 0.0;  // sum of the positive exponents
};

// Runs warmup + steps steps of `system` and returns the spectrum. Throws numerical_error
// when the tangent vectors become non-finite or degenerate.
lyapunov_result lyapunov_spectrum(tangent_system& system, const lyapunov_options& options);

// The largest exponent from a twin trajectory: `twin` starts at `system`'s state plus a
// perturbation of size `epsilon` (direction from the options' seed) and is pulled back to
// distance epsilon every ons_interval steps; the exponent is the mean log growth per step
// over the counted steps. Both systems must produce the same trajectory from the same
// state and support state()/set_state().
double twin_largest_exponent(tangent_system& system, tangent_system& twin,
                             const lyapunov_options& options, double epsilon = 1e-8);

// Kaplan-Yorke dimension of a descending spectrum: j + sum_{i<=j} l_i / |l_{j+1}|, with j
// the largest index whose partial sum is >= 0; 0 if l_1 < 0; NaN when all k partial sums
// are >= 0 but the spectrum is not complete (k < full_dim).
double kaplan_yorke_dimension(const Eigen::VectorXd& descending, std::size_t full_dim);

// A population's Jacobian D = diag(a) + diag(c) W diag(s), for models with diagonal
// Jacobian factors (population::diagonal_jacobian): formed as a dense matrix, or applied to
// tangent vectors through a row-major copy of W (the layout the thin products run fastest
// on). W is read from the projection at construction: the weights must not change while
// it is in use.
class dense_jacobian {
 public:
  dense_jacobian(const population& pop, const projection* recurrent);
  bool available() const noexcept { return available_; }
  // One caller at a time.
  void form(const population& pop, Eigen::MatrixXd& d) const;
  // q <- D q; through the model's jacobian_apply when not available(). Safe to call
  // concurrently on different blocks of tangent vectors.
  void apply(const population& pop, const projection* recurrent,
             Eigen::Ref<Eigen::MatrixXd> q) const;

 private:
  bool available_ = false;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> w_;  // empty: no W
  mutable Eigen::VectorXd a_, c_, s_;
};

// A population driven through its own recurrent projection (delay 1: the Jacobian of a
// step is a function of the state before it) and an external input per step. For
// continuous coupling (rate_ode) the projection is integrated inside the model.
class population_tangent_system final : public tangent_system {
 public:
  using input_fn = std::function<void(std::int64_t t, Eigen::Ref<Eigen::VectorXd> input)>;
  // `pop` and `recurrent` are not owned and must outlive the system. `external` adds the
  // external input of step t (empty: none).
  population_tangent_system(population& pop, const projection* recurrent, input_fn external = {});

  std::size_t dim() const noexcept override { return pop_->tangent_dim(); }
  bool separable() const noexcept override { return pop_->separable_tangent(); }
  void apply(Eigen::Ref<Eigen::MatrixXd> q) const override;
  bool has_jacobian_matrix() const noexcept override { return jac_.available(); }
  void jacobian_matrix(Eigen::MatrixXd& d) const override { jac_.form(*pop_, d); }
  void advance() override;
  void step(Eigen::Ref<Eigen::MatrixXd> q) override;
  Eigen::VectorXd state() const override;
  void set_state(const Eigen::Ref<const Eigen::VectorXd>& s) override;

 private:
  const Eigen::VectorXd& input_now();
  population* pop_;
  const projection* recurrent_;
  input_fn external_;
  std::int64_t t_ = 0;
  Eigen::VectorXd input_;
  std::vector<std::string> vars_;
  dense_jacobian jac_;
};

// A recorded trajectory replayed: the state is set from the recorded rows instead of being
// simulated (row r: the state before step t0 + r), so the Jacobians come from the record
// itself: state logs from chip kernels, hardware or other simulators. Separable models
// apply their Jacobian at each recorded state; ODE models integrate one step of the
// variational equation from each recorded state. The record has rows() - 1 steps.
class replay_tangent_system final : public tangent_system {
 public:
  using rows_t = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using input_fn = population_tangent_system::input_fn;
  // `states`: (variable, [T, n]) for every variable of the population.
  replay_tangent_system(population& pop, const projection* recurrent,
                        std::vector<std::pair<std::string, rows_t>> states, input_fn external = {},
                        std::int64_t t0 = 0);

  std::int64_t steps() const noexcept { return rows_ - 1; }
  std::size_t dim() const noexcept override { return pop_->tangent_dim(); }
  bool separable() const noexcept override { return pop_->separable_tangent(); }
  void apply(Eigen::Ref<Eigen::MatrixXd> q) const override;
  bool has_jacobian_matrix() const noexcept override { return jac_.available(); }
  void jacobian_matrix(Eigen::MatrixXd& d) const override { jac_.form(*pop_, d); }
  void advance() override;
  void step(Eigen::Ref<Eigen::MatrixXd> q) override;

 private:
  void load(std::int64_t row);
  population* pop_;
  const projection* recurrent_;
  std::vector<std::pair<std::string, rows_t>> states_;
  input_fn external_;
  std::int64_t t0_, rows_ = 0, row_ = 0;
  Eigen::VectorXd input_;
  dense_jacobian jac_;
};

}  // namespace chaoschip
