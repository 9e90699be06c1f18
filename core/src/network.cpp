#include "chaoschip/core/network.hpp"

#include <algorithm>

#include "chaoschip/core/errors.hpp"

namespace chaoschip {

population_id network::add(std::string name, std::unique_ptr<population> pop) {
  if (!pop) throw error("network::add: null population '" + name + "'");
  if (find(name)) throw error("network::add: population '" + name + "' exists already");
  const auto n = pop->size();
  const bool event_input = pop->event_input(), spiking = pop->output() == output_kind::spikes;
  populations_.push_back(
      {std::move(name), std::move(pop), delay_buffer(n, 0), {}, event_input, spiking});
  return populations_.size() - 1;
}

std::optional<population_id> network::find(std::string_view name) const {
  for (std::size_t i = 0; i < populations_.size(); ++i)
    if (populations_[i].name == name) return i;
  return std::nullopt;
}

population_id network::id(std::string_view name) const {
  if (auto i = find(name)) return *i;
  throw error("network: no population '" + std::string(name) + "'");
}

const connection* network::find_connection(population_id source, population_id target) const {
  for (const auto& c : connections_)
    if (c.source == source && c.target == target) return &c;
  return nullptr;
}

std::size_t network::connect(population_id source, population_id target,
                             std::unique_ptr<projection> weights, std::uint32_t delay) {
  if (source >= size() || target >= size()) throw error("network::connect: bad population id");
  if (!weights) throw error("network::connect: null projection");
  auto& tgt = *populations_[target].pop;
  const auto& src = *populations_[source].pop;
  if (weights->n_pre() != src.size() || weights->n_post() != tgt.size())
    throw error("network::connect " + name(source) + " -> " + name(target) + ": projection is " +
                std::to_string(weights->n_post()) + "x" + std::to_string(weights->n_pre()) +
                ", populations have " + std::to_string(tgt.size()) + " and " +
                std::to_string(src.size()));
  const bool continuous = source == target && tgt.continuous_coupling();
  if (!continuous && delay == 0 && target <= source)
    throw error("network::connect " + name(source) + " -> " + name(target) +
                ": delay 0 needs a target that updates after its source");
  std::size_t port = 0;
  for (const auto& c : connections_)
    if (c.target == target && !c.continuous) ++port;
  connections_.push_back({source, target, delay, std::move(weights), continuous, port});
  if (continuous) {
    tgt.set_coupling(connections_.back().weights.get());
  } else {
    populations_[source].outgoing.push_back(connections_.size() - 1);
    resize_buffer(target);
  }
  return connections_.size() - 1;
}

void network::resize_buffer(population_id id) {
  std::size_t max_delay = 0;
  for (const auto& c : connections_)
    if (c.target == id && !c.continuous) max_delay = std::max<std::size_t>(max_delay, c.delay);
  auto& e = populations_[id];
  if (e.input.max_delay() != max_delay) e.input = delay_buffer(e.pop->size(), max_delay);
}

void network::reset() {
  for (auto& e : populations_) {
    e.pop->reset();
    e.input.clear_all();
  }
}

void network::step(std::int64_t t) {
  for (auto& e : populations_) {
    e.pop->step(t, e.input.column(t));
    e.input.clear(t);
    for (std::size_t ci : e.outgoing) {
      const auto& c = connections_[ci];
      auto& target_entry = populations_[c.target];
      auto& target = target_entry.input;
      const std::int64_t arrival = t + static_cast<std::int64_t>(c.delay);
      if (target_entry.event_input) {
        target_entry.pop->receive(c.port, arrival, e.pop->spikes(), *c.weights);
      } else if (e.spiking) {
        const auto s = e.pop->spikes();
        if (!s.empty()) c.weights->deliver_spikes(s, target.slot(arrival));
      } else {
        c.weights->deliver_rates(e.pop->graded(), target.column(arrival));
      }
    }
  }
}

}  // namespace chaoschip
