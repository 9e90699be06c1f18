#include "chaoschip/core/recording.hpp"

namespace chaoschip {

spike_recorder::spike_recorder(std::vector<population_id> populations) {
  for (auto id : populations) trains_[id];
}

void spike_recorder::record(std::int64_t t, const network& net) {
  for (auto& [id, train] : trains_) {
    for (std::uint32_t i : net.at(id).spikes()) {
      train.steps.push_back(t);
      train.node_ids.push_back(i);
    }
  }
}

state_recorder::state_recorder(const network& net, std::vector<population_id> populations) {
  for (auto id : populations)
    for (const auto& v : net.at(id).variables()) series_[{id, v}].n = net.at(id).size();
}

void state_recorder::record(std::int64_t, const network& net) {
  for (auto& [key, s] : series_) {
    const Eigen::VectorXd x = net.at(key.first).variable(key.second);
    s.values.insert(s.values.end(), x.data(), x.data() + x.size());
  }
}

}  // namespace chaoschip
