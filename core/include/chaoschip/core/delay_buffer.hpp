#pragma once
// Per-population input ring buffer: one slot of n accumulators per future step.
//
// An event sent at step t with delay d is added to slot (t + d) mod S, S >= max_delay + 1;
// the target reads the slot of step t when it updates at t and the slot is then cleared, so
// every event is integrated exactly once, at exactly t + d. S is a power of two, so that the
// slot index (looked up several times per population and step) is a mask, not a division.
#include <bit>
#include <cstdint>

#include <Eigen/Core>

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

class delay_buffer {
 public:
  delay_buffer() = default;
  delay_buffer(std::size_t n, std::size_t max_delay)
      : slots_(Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n),
                                     static_cast<Eigen::Index>(std::bit_ceil(max_delay + 1)))),
        max_delay_(max_delay),
        mask_(static_cast<std::int64_t>(std::bit_ceil(max_delay + 1)) - 1) {}

  std::size_t size() const noexcept { return static_cast<std::size_t>(slots_.rows()); }
  std::size_t max_delay() const noexcept { return max_delay_; }

  // Accumulators for events arriving at absolute step `step`.
  double* slot(std::int64_t step) noexcept { return slots_.col(index(step)).data(); }
  auto column(std::int64_t step) noexcept { return slots_.col(index(step)); }
  auto column(std::int64_t step) const noexcept { return slots_.col(index(step)); }

  void clear(std::int64_t step) noexcept { slots_.col(index(step)).setZero(); }
  void clear_all() noexcept { slots_.setZero(); }

 private:
  Eigen::Index index(std::int64_t step) const noexcept {
    return static_cast<Eigen::Index>(step & mask_);
  }
  Eigen::MatrixXd slots_;  // column-major: one contiguous column per step
  std::size_t max_delay_ = 0;
  std::int64_t mask_ = 0;  // S - 1
};

}  // namespace chaoschip
