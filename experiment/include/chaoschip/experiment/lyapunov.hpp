#pragma once
// Lyapunov spectra of a run's recurrent layer per [lyapunov]: simulated with given weights,
// or built from a recorded trajectory (/states/recurrent/...) without re-simulating.
#include <cstdint>
#include <functional>

#include "chaoschip/core/thread_pool.hpp"
#include "chaoschip/experiment/graph.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"

namespace chaoschip::experiment {

// The spectrum of the recurrent layer with weights `w` (the readout plays no part),
// driven by the task's first sequence, repeated (lyapunov.input = "task"), or by nothing.
// Spiking models give surrogate exponents; on a fixed-point chip profile, those of the
// float dynamics with the chip's dequantised weights. When `log` is given, the trajectory
// is stored in it: the initial state, then the state after every step (attribute t0 = 0).
using step_progress = std::function<void(std::int64_t done, std::int64_t total)>;

io::lyapunov_data measure_lyapunov(const io::run_config& c, const io::weight_set& w,
                                   thread_pool* pool = nullptr, io::state_log* log = nullptr,
                                   const step_progress& progress = {});

// The same with the chip resolved already (a run's plan).
io::lyapunov_data measure_lyapunov(const io::run_config& c, const chip_plan& chip,
                                   const io::weight_set& w, thread_pool* pool = nullptr,
                                   io::state_log* log = nullptr,
                                   const step_progress& progress = {});

// The spectrum of a NIR graph's recurrent population (graph.recurrent) with its own
// recurrent projection, driven by the graph's Input (the task's first sequence, repeated,
// when lyapunov.input = "task") and its constant biases. parameter_error ("nir.recurrent")
// when other neuron populations drive it too, or its recurrence is delayed by more than a
// step.
io::lyapunov_data measure_graph_lyapunov(const io::run_config& c, const graph_plan& graph,
                                         models::task& task, thread_pool* pool = nullptr);

// The spectrum along a recorded trajectory of the recurrent layer: row r holds the state
// before step t0 + r (attribute t0, default 0). The counted steps are the rows after
// lyapunov.warmup. rate, rate_ode, lif and alif (spikes and pseudo-derivatives follow from
// a LIF log's v and a; refractory counters do not, so t_ref <= dt), float64 kernel.
// Throws parameter_error / error on a log that does not fit the config.
io::lyapunov_data lyapunov_from_log(const io::run_config& c, const io::weight_set& w,
                                    const io::state_log& log, thread_pool* pool = nullptr,
                                    const step_progress& progress = {});

}  // namespace chaoschip::experiment
