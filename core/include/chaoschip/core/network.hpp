#pragma once
// Populations and the projections between them, with integer delays, and one step of the
// event-driven loop. Populations update in the order they were added: a projection may
// have delay 0 only towards a population added later (it is read in the same step).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chaoschip/core/delay_buffer.hpp"
#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"

namespace chaoschip {

using population_id = std::size_t;

struct connection {
  population_id source;
  population_id target;
  std::uint32_t delay;  // steps
  std::unique_ptr<projection> weights;
  bool continuous;   // integrated inside the target's ODE (rate_ode recurrence), no events
  std::size_t port;  // index among the target's incoming event connections
};

class network {
 public:
  population_id add(std::string name, std::unique_ptr<population> pop);
  // Connects source -> target. Returns the connection index.
  std::size_t connect(population_id source, population_id target,
                      std::unique_ptr<projection> weights, std::uint32_t delay);

  std::size_t size() const noexcept { return populations_.size(); }
  population& at(population_id id) { return *populations_.at(id).pop; }
  const population& at(population_id id) const { return *populations_.at(id).pop; }
  const std::string& name(population_id id) const { return populations_.at(id).name; }
  std::optional<population_id> find(std::string_view name) const;
  population_id id(std::string_view name) const;  // throws if absent

  const std::vector<connection>& connections() const noexcept { return connections_; }
  connection& connection_at(std::size_t i) { return connections_.at(i); }
  // The connection source -> target, if any.
  const connection* find_connection(population_id source, population_id target) const;

  // Initial state for every population, empty buffers.
  void reset();
  // Step t: every population in order reads its input for t, updates, and sends its output.
  void step(std::int64_t t);

 private:
  struct entry {
    std::string name;
    std::unique_ptr<population> pop;
    delay_buffer input;
    std::vector<std::size_t> outgoing;  // connection indices
    // pop->event_input() and pop->output(), fixed by the model: read once here rather than
    // through the virtual calls (dependent loads) for every connection and step.
    bool event_input = false;
    bool spiking = false;
  };
  void resize_buffer(population_id id);
  std::vector<entry> populations_;
  std::vector<connection> connections_;
};

}  // namespace chaoschip
