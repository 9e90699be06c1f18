#pragma once
// What a run records, step by step: spikes (SONATA-style pairs) and state variables.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "chaoschip/core/network.hpp"

namespace chaoschip {

class recorder {
 public:
  virtual ~recorder() = default;
  // Called after every step t with the network's state after that step.
  virtual void record(std::int64_t t, const network& net) = 0;
};

struct spike_train_record {
  std::vector<std::int64_t> steps;      // step of each spike, ascending
  std::vector<std::uint64_t> node_ids;  // neuron index within the population
};

// Spikes of the chosen populations.
class spike_recorder final : public recorder {
 public:
  explicit spike_recorder(std::vector<population_id> populations);
  void record(std::int64_t t, const network& net) override;
  const spike_train_record& spikes(population_id id) const { return trains_.at(id); }
  const std::map<population_id, spike_train_record>& all() const noexcept { return trains_; }
  // Replaces what was recorded for `id` (a resumed run continues a checkpoint's record).
  void restore(population_id id, spike_train_record train) { trains_.at(id) = std::move(train); }

 private:
  std::map<population_id, spike_train_record> trains_;
};

// State variables, [T, n] row-major per (population, variable).
class state_recorder final : public recorder {
 public:
  struct series {
    std::size_t n = 0;
    std::vector<double> values;  // row-major [steps, n]
    std::size_t steps() const noexcept { return n == 0 ? 0 : values.size() / n; }
  };
  // Records every variable of each chosen population.
  state_recorder(const network& net, std::vector<population_id> populations);
  void record(std::int64_t t, const network& net) override;
  const std::map<std::pair<population_id, std::string>, series>& all() const noexcept {
    return series_;
  }
  // Replaces what was recorded for (population, variable), as spike_recorder::restore.
  void restore(const std::pair<population_id, std::string>& key, std::vector<double> values) {
    series_.at(key).values = std::move(values);
  }

 private:
  std::map<std::pair<population_id, std::string>, series> series_;
};

}  // namespace chaoschip
