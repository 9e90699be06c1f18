#pragma once
// Simulates a NIR graph's network (graph.hpp) through the task: train.iterations
// sequences, the network reset before each; records every spiking population's spikes and
// every neuron population's states under its node name, and measures the Lyapunov
// spectrum of the graph's recurrent population (lyapunov.when).
#include "chaoschip/core/thread_pool.hpp"
#include "chaoschip/experiment/graph.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/experiment/trainer.hpp"
#include "chaoschip/io/run_file.hpp"

namespace chaoschip::experiment {

io::run_data run_graph(const plan& p, const progress_fn& progress = {},
                       thread_pool* pool = nullptr);

}  // namespace chaoschip::experiment
