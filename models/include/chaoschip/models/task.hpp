#pragma once
// Tasks: sequences of input spikes with targets, generated from the seed (or read from a
// case file by io). One sequence per training iteration and batch element.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/random.hpp"

namespace chaoschip::models {

using row_matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct sequence {
  std::vector<std::vector<std::uint32_t>> input_spikes;  // per step: spiking input neurons
  row_matrix target;                                     // [T, n_out]
  std::vector<std::uint8_t> learning_window;             // [T], 1 where the loss counts
  std::size_t steps() const noexcept { return input_spikes.size(); }
};

class task {
 public:
  virtual ~task() = default;
  virtual std::string name() const = 0;
  virtual std::size_t n_in() const noexcept = 0;
  virtual std::size_t n_out() const noexcept = 0;
  virtual std::size_t steps() const noexcept = 0;
  virtual bool classification() const noexcept { return false; }
  // The sequence for (iteration, batch element) index i = iteration * batch + b.
  virtual const sequence& get(std::int64_t index) = 0;
};

// A fixed list of sequences used in order, cycling (task.name = "file", and tests).
class sequence_task final : public task {
 public:
  sequence_task(std::string name, std::size_t n_in, std::size_t n_out,
                std::vector<sequence> sequences, bool classification = false);
  std::string name() const override { return name_; }
  std::size_t n_in() const noexcept override { return n_in_; }
  std::size_t n_out() const noexcept override { return n_out_; }
  std::size_t steps() const noexcept override { return seqs_.front().steps(); }
  bool classification() const noexcept override { return classification_; }
  const sequence& get(std::int64_t index) override {
    return seqs_[static_cast<std::size_t>(index) % seqs_.size()];
  }

 private:
  std::string name_;
  std::size_t n_in_, n_out_;
  std::vector<sequence> seqs_;
  bool classification_;
};

// NEST's e-prop sine-wave regression: frozen Poisson-like input (probability rate*dt per
// step, no spikes at step 0) and a target that is the sum of four sines with periods
// 1000, 500, 333, 200 steps, random amplitudes in [0.5, 2] and phases in [0, 2 pi),
// shifted to start at 0 and normalised to a maximum magnitude of 1. The same sequence
// every iteration, as in NEST's example.
std::unique_ptr<task> make_sine_task(std::size_t n_in, std::size_t n_out, std::size_t steps,
                                     double input_rate_hz, double dt_ms, std::uint64_t seed);

// No input, no target: autonomous dynamics.
std::unique_ptr<task> make_silent_task(std::size_t n_in, std::size_t n_out, std::size_t steps);

}  // namespace chaoschip::models
