#include "chaoschip/experiment/resources.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/optimizer.hpp"
#include "chaoschip/experiment/model_binding.hpp"

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace {

constexpr double f64 = 8.0;          // bytes per double
constexpr double step_list = 24.0;   // a std::vector header: one per step of a spike list
constexpr double spike_bytes = 4.0;  // a node id in a spike list
// A recorded spike: step (int64) and node id while running, double timestamp and id for
// the file; 12 bytes of it are written.
constexpr double recorded_spike = 24.0, written_spike = 12.0;
constexpr double assumed_rate_hz = 20.0;  // recurrent spikes: the rate is not known yet

bool spiking(const run_config& c) {
  return capabilities_of(c).spiking;
}

double variables(const run_config& c) {
  if (!spiking(c)) return 1.0;
  return 1.0 + (c.neuron.tau_syn > 0.0 ? 1.0 : 0.0) +
         (model_of(c) == models::model_kind::alif ? 1.0 : 0.0);
}

// Probability of an input spike per channel and step.
double input_p(const run_config& c) {
  return std::clamp(c.task.input_rate * c.network.dt * 1e-3, 0.0, 1.0);
}

double recurrent_p(const run_config& c) {
  if (!spiking(c)) return 0.0;
  return std::clamp(std::max(c.task.input_rate, assumed_rate_hz) * c.network.dt * 1e-3, 0.0, 1.0);
}

std::string network_keys(const run_config& c) {
  return fmt::format("network.n_in = {}, network.n_rec = {}, network.n_out = {}", c.network.n_in,
                     c.network.n_rec, c.network.n_out);
}

// The task's sequences: spike lists per step, targets and windows (two held at a time by
// the generated tasks; their input draws add a [T, n_in] matrix).
void add_task(memory_estimate& e, const run_config& c) {
  if (c.task.name == "file") return;  // read_case_task checks the file's declared shapes
  const double t = static_cast<double>(c.task.steps), n_in = static_cast<double>(c.network.n_in),
               n_out = static_cast<double>(c.network.n_out);
  const bool none = c.task.name == "none";
  const double per_sequence =
      t * (step_list + (none ? 0.0 : spike_bytes * input_p(c) * n_in) + f64 * n_out + 1.0);
  const double generated = none || c.task.name == "sine" ? 0.0 : t * n_in * f64;
  e.add("task inputs",
        fmt::format("task.steps = {}, network.n_in = {}, network.n_out = {}", c.task.steps,
                    c.network.n_in, c.network.n_out),
        2.0 * per_sequence + generated);
}

// Run files are assembled in memory and written in one go (so that a full disk is a plain
// write error): while a file is written, memory grows by about twice its size.
void add_file_image(memory_estimate& e) {
  if (e.output_bytes > 0.0)
    e.add("the output file, assembled in memory", "record.states, record.spikes",
          2.0 * e.output_bytes);
}

}  // namespace

memory_estimate estimate_lyapunov(const run_config& c, bool trajectory) {
  memory_estimate e;
  const double n = static_cast<double>(c.network.n_rec), n_in = static_cast<double>(c.network.n_in);
  const double dim = n * (model_of(c) == models::model_kind::alif ? 2.0 : 1.0);
  const double k = std::min(static_cast<double>(c.lyapunov.k), dim);
  const double layers = c.lyapunov.twin ? 3.0 : 1.0;
  // The layer's weights (a float copy, and the chip's mapping of it), twice for a twin.
  e.add("weights", network_keys(c), layers * 2.0 * f64 * (n * n_in + n * n));
  // Q, its QR factorisation and the propagation's scratch; the full-spectrum path keeps
  // the dense Jacobian, its transpose and a row-major copy of W.
  double tangent = 4.0 * f64 * k * dim;
  if (k == dim) tangent += 3.0 * f64 * dim * dim;
  e.add("tangent space",
        fmt::format("lyapunov.k = {}, network.n_rec = {}", c.lyapunov.k, c.network.n_rec), tangent);
  const double steps = static_cast<double>(c.lyapunov.warmup + c.lyapunov.steps);
  const double qr = steps / static_cast<double>(std::max<std::int64_t>(c.lyapunov.ons_interval, 1));
  e.add("per-QR figures",
        fmt::format("lyapunov.steps = {}, lyapunov.warmup = {}, lyapunov.ons_interval = {}",
                    c.lyapunov.steps, c.lyapunov.warmup, c.lyapunov.ons_interval),
        f64 * qr + f64 * k * static_cast<double>(c.lyapunov.checkpoints));
  if (c.lyapunov.input == "task") add_task(e, c);
  if (trajectory) {
    const double states = f64 * (steps + 1.0) * n * variables(c);
    e.add("recorded trajectory",
          fmt::format("record.states = true, lyapunov.steps = {}, lyapunov.warmup = {}, "
                      "network.n_rec = {}",
                      c.lyapunov.steps, c.lyapunov.warmup, c.network.n_rec),
          2.0 * states);
    e.output_bytes += states;
  }
  e.output_bytes += 2.0 * f64 * (n * n_in + n * n) + f64 * (qr + k * 102.0);
  if (trajectory) add_file_image(e);
  return e;
}

memory_estimate estimate_run(const run_config& c) {
  memory_estimate e;
  const double n_in = static_cast<double>(c.network.n_in),
               n_rec = static_cast<double>(c.network.n_rec),
               n_out = static_cast<double>(c.network.n_out);
  const bool training = c.train.rule != "none";
  const double t = static_cast<double>(c.task.steps);
  const double sequences = static_cast<double>(std::max<std::int64_t>(c.train.iterations, 1)) *
                           static_cast<double>(training ? c.train.batch : 1);
  // w_in, w_rec, w_out, feedback: initial, final and the network's own; training adds the
  // gradient sum, a sequence's gradient and Adam's two moments (or SGD's momentum).
  const double weights = f64 * (n_rec * n_in + n_rec * n_rec + 2.0 * n_out * n_rec);
  const double copies =
      !training ? 3.0
      : parse_name(optimizer_names, c.train.optimizer, "train.optimizer") == optimizer_kind::adam
          ? 7.0
          : 6.0;
  e.add("weights", network_keys(c), copies * weights);
  e.output_bytes += 2.0 * weights;
  add_task(e, c);
  // Per sequence: the readout's output and error; training keeps the trajectory (psi and,
  // for rate models, z as [T, n_rec]; spike lists) and BPTT its dense [T, n] copies and
  // adjoints.
  double trajectory = 2.0 * f64 * t * n_out;
  if (training) {
    trajectory +=
        f64 * t * n_rec * (spiking(c) ? 1.0 : 2.0) +
        t * (2.0 * step_list + spike_bytes * (input_p(c) * n_in + recurrent_p(c) * n_rec));
    if (c.train.rule == "bptt") trajectory += f64 * t * (n_in + 4.0 * n_rec);
  }
  e.add("trajectory of a sequence",
        fmt::format("task.steps = {}, network.n_rec = {}, network.n_out = {}", c.task.steps,
                    c.network.n_rec, c.network.n_out),
        trajectory);
  const std::string length =
      fmt::format("task.steps = {}, train.iterations = {}{}", c.task.steps, c.train.iterations,
                  training ? fmt::format(", train.batch = {}", c.train.batch) : std::string());
  if (c.record.states && c.task.name != "file") {
    // The recorder's growing vectors, then the run data's copy of them.
    const double states = f64 * sequences * t * (variables(c) * n_rec + n_out);
    e.add("recorded states",
          fmt::format("record.states = true, {}, network.n_rec = {}", length, c.network.n_rec),
          2.5 * states);
    e.output_bytes += states;
  }
  if (c.record.spikes && c.task.name != "file") {
    const double spikes = sequences * t * (input_p(c) * n_in + recurrent_p(c) * n_rec);
    e.add("recorded spikes",
          fmt::format("record.spikes = true, {}, network.n_in = {}, network.n_rec = {}", length,
                      c.network.n_in, c.network.n_rec),
          recorded_spike * spikes);
    e.output_bytes += written_spike * spikes;
  }
  if (!c.lyapunov.when.empty()) {
    // Measured one after the other: one spectrum's memory at a time.
    const memory_estimate l = estimate_lyapunov(c, false);
    for (const auto& p : l.parts) e.add("Lyapunov " + p.what, p.keys, p.bytes);
    e.output_bytes +=
        static_cast<double>(c.lyapunov.when.size()) * (l.output_bytes - 2.0 * weights);
  }
  add_file_image(e);
  return e;
}

memory_estimate estimate_sweep(double points, std::size_t axes, std::int64_t seeds,
                               const run_config& point, std::size_t jobs) {
  memory_estimate e;
  // Per point: its grid values and file name, the summary row, its CSV line and its
  // columns in summary.h5, held at once while the summary is written. Measured: 0.77 kB a
  // point (50,000 one-axis points: 69 MB, 5,000: 34 MB); 1 kB plus 64 bytes a grid value.
  const double per_point = 1000.0 + 64.0 * static_cast<double>(axes);
  e.add("sweep table",
        fmt::format("--seeds {} x {} grid points", seeds,
                    points / static_cast<double>(std::max<std::int64_t>(seeds, 1))),
        per_point * points);
  const memory_estimate one = estimate_run(point);
  const double at_once = std::max(1.0, std::min(static_cast<double>(jobs), points));
  for (const auto& p : one.parts)
    e.add(p.what + (at_once > 1 ? fmt::format(" ({} points at once)", at_once) : ""), p.keys,
          at_once * p.bytes);
  e.output_bytes = points * one.output_bytes;
  return e;
}

}  // namespace chaoschip::experiment
