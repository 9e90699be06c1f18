#pragma once
// The learning constants of a run: the e-prop and BPTT settings (alpha, c_z, kappa,
// regularisation, adaptation) from the plan and the built network, and the per-sequence
// e-prop settings (the chip's trace arithmetic, NEST's late learning-signal inputs).
#include <cstdint>

#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/plan.hpp"
#include "chaoschip/models/bptt.hpp"
#include "chaoschip/models/eprop.hpp"
#include "chaoschip/models/task.hpp"

namespace chaoschip::experiment {

struct learning_constants {
  models::eprop_settings eprop;
  models::bptt_settings bptt;
  neuromorphic::trace_arithmetic traces;  // the kernel's e-prop traces (bits 0: float)
};

// The recurrent layer's decay alpha and input gain c_z as the kernel computes them (LIF
// membrane, the rate map's leak, or a chip's decay code), kappa of the readout, the
// firing-rate regularisation, and adaptation (alif).
learning_constants learning_constants_of(const plan& p, const built_network& b);

// The e-prop settings of sequence `sequence` (its index in the task): traces at the
// kernel's arithmetic with their own rounding seed; NEST's variant takes the next
// sequence's step-1 inputs as late learning-signal inputs.
models::eprop_settings sequence_settings(const learning_constants& k, const plan& p,
                                         std::int64_t sequence, models::task& task);

}  // namespace chaoschip::experiment
