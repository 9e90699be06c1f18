#include "chaoschip/experiment/graph_runner.hpp"

#include <algorithm>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/experiment/lyapunov.hpp"
#include "chaoschip/models/sources.hpp"

namespace chaoschip::experiment {

namespace {

// A chip profile changes the graph: integer kernels, or quantised weights on float64.
bool on_chip(const plan& p) {
  return p.chip.backend && (p.chip.backend->quantises() || !p.chip.backend->float_models());
}

class graph_runner {
 public:
  graph_runner(const plan& p, const progress_fn& progress)
      : p_(p),
        c_(p.config),
        g_(*p.graph),
        b_(on_chip(p) ? build_graph(g_, *p.chip.backend, p.chip.seed) : build_graph(g_)),
        progress_(progress),
        spikes_(spiking()),
        states_(b_.net, stated()) {}

  io::run_data run() {
    const auto iterations = p_.learning.iterations;
    const auto steps = static_cast<std::int64_t>(p_.task->steps());
    auto& input = dynamic_cast<models::spike_pattern_source&>(b_.net.at(b_.input));
    std::vector<recorder*> recs;
    if (!spikes_.all().empty()) recs.push_back(&spikes_);
    if (c_.record.states) recs.push_back(&states_);
    std::int64_t step = 0;
    for (std::int64_t it = 0; it < iterations; ++it) {
      b_.net.reset();
      pattern_ = p_.task->get(it).input_spikes;
      input.swap_pattern(pattern_, step);
      run_options opts;
      opts.first_step = step;
      if (progress_)
        opts.progress = [&, it, base = step](std::int64_t done, std::int64_t) {
          progress_({it + 1, iterations, base + done, iterations * steps, 0.0});
        };
      simulator(b_.net).run({c_.network.dt, steps}, recs, opts);
      step += steps;
      check_finite(step - 1);
    }
    if (progress_) progress_({iterations, iterations, step, step, 0.0, true});
    return assemble(step);
  }

  graph_plan dequantised() const { return dequantised_plan(g_, b_); }

 private:
  std::vector<population_id> spiking() const {
    std::vector<population_id> ids;
    if (!c_.record.spikes) return ids;
    for (auto id : b_.ids)
      if (b_.net.at(id).output() == output_kind::spikes) ids.push_back(id);
    return ids;
  }
  std::vector<population_id> stated() const {
    std::vector<population_id> ids;
    if (!c_.record.states) return ids;
    for (std::size_t i = 0; i < b_.ids.size(); ++i)
      if (!g_.populations[i].input) ids.push_back(b_.ids[i]);
    return ids;
  }
  void check_finite(std::int64_t step) const {
    for (auto id : b_.ids)
      for (const auto& var : b_.net.at(id).variables())
        if (!b_.net.at(id).variable(var).allFinite())
          throw numerical_error("population '" + b_.net.name(id) + "', variable '" + var + "'",
                                step, "non-finite value (the dynamics diverged)");
  }
  io::run_data assemble(std::int64_t steps) {
    io::run_data out;
    out.config_toml = p_.config_toml;
    for (const auto& [id, train] : spikes_.all()) {
      io::spike_data s{b_.net.name(id), {}, train.node_ids};
      s.timestamps.reserve(train.steps.size());
      for (auto t : train.steps) s.timestamps.push_back(static_cast<double>(t) * c_.network.dt);
      out.spikes.push_back(std::move(s));
    }
    for (const auto& [key, series] : states_.all()) {
      const auto at = std::ranges::find(b_.ids, key.first) - b_.ids.begin();
      const bool integer = static_cast<std::size_t>(at) < b_.integer_state.size() &&
                           b_.integer_state[static_cast<std::size_t>(at)];
      out.states.push_back(
          {b_.net.name(key.first), key.second, series.steps(), series.n, series.values, integer});
    }
    out.root_attributes["steps"] = steps;
    out.root_attributes["dt"] = c_.network.dt;
    out.root_attributes["model"] = std::string("nir");
    out.graph = g_.graph;
    return out;
  }

  const plan& p_;
  const io::run_config& c_;
  const graph_plan& g_;
  graph_network b_;
  const progress_fn& progress_;
  spike_recorder spikes_;
  state_recorder states_;
  models::spike_pattern_source::pattern pattern_;
};

}  // namespace

io::run_data run_graph(const plan& p, const progress_fn& progress, thread_pool* pool) {
  graph_runner runner(p, progress);
  io::run_data out = runner.run();
  if (p.graph->recurrent && !p.learning.lyapunov_when.empty()) {
    // Untrained: one spectrum stands for both "before" and "after". On a chip profile the
    // float dynamics with the weights the chip's codes stand for (as the config path does).
    const graph_plan dequantised = on_chip(p) ? runner.dequantised() : *p.graph;
    const io::lyapunov_data d = measure_graph_lyapunov(p.config, dequantised, *p.task, pool);
    for (const auto& when : p.learning.lyapunov_when) out.lyapunov.emplace_back(when, d);
  }
  return out;
}

}  // namespace chaoschip::experiment
