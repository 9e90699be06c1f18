#include "chaoschip/models/task.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::models {

sequence_task::sequence_task(std::string name, std::size_t n_in, std::size_t n_out,
                             std::vector<sequence> sequences, bool classification)
    : name_(std::move(name)),
      n_in_(n_in),
      n_out_(n_out),
      seqs_(std::move(sequences)),
      classification_(classification) {
  if (seqs_.empty()) throw error("task '" + name_ + "' has no sequences");
}

std::unique_ptr<task> make_sine_task(std::size_t n_in, std::size_t n_out, std::size_t steps,
                                     double input_rate_hz, double dt_ms, std::uint64_t seed) {
  random_stream rng(seed, "task.sine");
  sequence s;
  const double p = input_rate_hz * dt_ms * 1e-3;
  s.input_spikes.resize(steps);
  for (std::size_t t = 1; t < steps; ++t)  // step 0 silent, as in NEST's example
    for (std::uint32_t i = 0; i < n_in; ++i)
      if (rng.bernoulli(p)) s.input_spikes[t].push_back(i);

  const auto T = static_cast<Eigen::Index>(steps);
  s.target = row_matrix::Zero(T, static_cast<Eigen::Index>(n_out));
  const double periods[] = {1000.0, 500.0, 333.0, 200.0};
  for (Eigen::Index k = 0; k < s.target.cols(); ++k) {
    Eigen::VectorXd y = Eigen::VectorXd::Zero(T);
    for (double period : periods) {
      const double amp = rng.uniform(0.5, 2.0), phase = rng.uniform(0.0, 2 * std::numbers::pi);
      const double cycles = std::floor(static_cast<double>(steps) / period);
      for (Eigen::Index t = 0; t < T; ++t) {
        const double frac = T > 1 ? static_cast<double>(t) / static_cast<double>(T - 1) : 0.0;
        y[t] += amp * std::sin(phase + 2 * std::numbers::pi * cycles * frac);
      }
    }
    y.array() -= y[0];
    y /= std::max(y.cwiseAbs().maxCoeff(), 1e-6);
    s.target.col(k) = y;
  }
  s.learning_window.assign(steps, 1);
  std::vector<sequence> seqs;
  seqs.push_back(std::move(s));
  return std::make_unique<sequence_task>("sine", n_in, n_out, std::move(seqs));
}

std::unique_ptr<task> make_silent_task(std::size_t n_in, std::size_t n_out, std::size_t steps) {
  sequence s;
  s.input_spikes.resize(steps);
  s.target = row_matrix::Zero(static_cast<Eigen::Index>(steps), static_cast<Eigen::Index>(n_out));
  s.learning_window.assign(steps, 0);
  std::vector<sequence> seqs;
  seqs.push_back(std::move(s));
  return std::make_unique<sequence_task>("none", n_in, n_out, std::move(seqs));
}

}  // namespace chaoschip::models
