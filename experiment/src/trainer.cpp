#include "chaoschip/experiment/trainer.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/optimizer.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/experiment/floss.hpp"
#include "chaoschip/experiment/learning.hpp"
#include "chaoschip/experiment/trajectory_tap.hpp"
#include "chaoschip/experiment/weight_updater.hpp"
#include "chaoschip/models/bptt.hpp"
#include "chaoschip/models/eprop.hpp"
#include "chaoschip/models/loss.hpp"
#include "chaoschip/models/sources.hpp"

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace {

void check_finite_state(const network& net, population_id id, std::int64_t step) {
  for (const auto& var : net.at(id).variables())
    if (!net.at(id).variable(var).allFinite())
      throw numerical_error("population '" + net.name(id) + "', variable '" + var + "'", step,
                            "non-finite value (the dynamics diverged)");
}

// After a training update: a NaN survives the [w_min, w_max] clip and would be written.
void check_finite_weights(const network& net, std::int64_t iteration, std::int64_t step) {
  for (const auto& conn : net.connections()) {
    const auto* dense = dynamic_cast<const dense_projection*>(conn.weights.get());
    if (dense ? dense->weights().allFinite() : conn.weights->to_dense().allFinite()) continue;
    throw numerical_error("training update of iteration " + std::to_string(iteration), step,
                          "a weight is not finite (the gradient diverged; a smaller train.eta?)");
  }
}

// The populations whose spikes are recorded: a chip's state log comes with its input
// spikes, so its arithmetic can be replayed.
std::vector<population_id> spiking_of(const run_config& c, const built_network& b) {
  std::vector<population_id> spiking;
  if (c.record.spikes || (c.record.states && b.chip)) {
    spiking.push_back(b.input);
    if (b.net.at(b.recurrent).output() == output_kind::spikes) spiking.push_back(b.recurrent);
  }
  return spiking;
}

std::vector<population_id> stated_of(const run_config& c, const built_network& b) {
  if (c.record.states) return {b.recurrent, b.readout};
  return {};
}

class trainer {
 public:
  trainer(const plan& p, built_network& b, const progress_fn& progress,
          const training_control& control);
  run_data run();

 private:
  struct sequence_result {
    double loss = 0.0;
    bool correct = false;
    std::optional<models::eprop_gradients> grad;  // when training
  };
  sequence_result run_sequence(std::int64_t it, std::int64_t k);
  models::eprop_gradients gradients(std::int64_t sequence, const models::readout_error& e);
  void run_iteration(std::int64_t it);
  void floss_epochs(std::int64_t epochs, std::int64_t at);
  void assemble();
  models::row_matrix as_matrix(const std::vector<double>& v) const;

  const plan& p_;
  const run_config& c_;
  built_network& b_;
  const progress_fn& progress_;
  const training_control& control_;
  models::spike_pattern_source& input_;
  const std::optional<neuromorphic::chip_mapping> initial_chip_;
  const std::int64_t T_, iterations_, batch_;
  const bool is_spiking_;
  std::vector<population_id> spiking_, stated_;
  spike_recorder spikes_;
  state_recorder states_;
  trajectory_tap tap_;
  std::vector<recorder*> recs_;
  learning_constants k_;
  models::loss_kind loss_;
  projection &proj_in_, &proj_rec_, &proj_out_;
  optimizer opt_, floss_opt_;
  weight_updater updater_;
  run_data out_;
  std::int64_t floss_count_ = 0;
  double last_loss_ = std::numeric_limits<double>::quiet_NaN();
  std::int64_t step_ = 0;  // global step counter across all sequences
  models::spike_pattern_source::pattern pattern_;
};

trainer::trainer(const plan& p, built_network& b, const progress_fn& progress,
                 const training_control& control)
    : p_(p),
      c_(p.config),
      b_(b),
      progress_(progress),
      control_(control),
      input_(dynamic_cast<models::spike_pattern_source&>(b.net.at(b.input))),
      initial_chip_(b.chip),
      T_(static_cast<std::int64_t>(p.task->steps())),
      iterations_(p.learning.iterations),
      batch_(p.learning.batch),
      is_spiking_(b.net.at(b.recurrent).output() == output_kind::spikes),
      spiking_(spiking_of(p.config, b)),
      stated_(stated_of(p.config, b)),
      spikes_(spiking_),
      states_(b.net, stated_),
      k_(learning_constants_of(p, b)),
      loss_(models::parse_loss(p.config.readout.loss)),
      proj_in_(*b.net.connection_at(b.in_rec).weights),
      proj_rec_(*b.net.connection_at(b.rec_rec).weights),
      proj_out_(*b.net.connection_at(b.rec_out).weights),
      opt_(p.learning.train_optimizer, 3),
      floss_opt_(p.learning.floss_optimizer, 2),
      updater_(p, b) {
  tap_.in = b.input;
  tap_.rec = b.recurrent;
  tap_.out = b.readout;
  tap_.full = p.learning.training();
  if (b.chip) {
    tap_.psi_scale = p.chip.backend->psi_scale(*b.chip);
    tap_.input_delay = b.net.connection_at(b.in_rec).delay;
  }
  // Only the recorders with something to record are called every step.
  recs_ = {&tap_};
  if (!spiking_.empty()) recs_.push_back(&spikes_);
  if (!stated_.empty()) recs_.push_back(&states_);
  out_.config_toml = p.config_toml;
  out_.initial = weight_set{p.network.in_rec.weights, p.network.rec_rec.weights,
                            p.network.rec_out.weights, p.network.feedback, false};
}

models::row_matrix trainer::as_matrix(const std::vector<double>& v) const {
  const Eigen::Index n = static_cast<Eigen::Index>(v.size()) / T_;
  return Eigen::Map<const models::row_matrix>(v.data(), T_, n);
}

// Flossing epochs per [floss]; `at` = training iterations done so far.
void trainer::floss_epochs(std::int64_t epochs, std::int64_t at) {
  for (std::int64_t e = 0; e < epochs; ++e) {
    const floss_epoch_result r =
        floss_epoch(c_, updater_.float_in(), updater_.float_rec(), floss_count_++, p_.task.get());
    if (!std::isfinite(r.loss))
      throw numerical_error("flossing", floss_count_ - 1, "the flossing loss is not finite");
    updater_.step_recurrent(floss_opt_, r.grad_in, r.grad_rec);
    out_.floss_loss.push_back(r.loss);
    out_.floss_exponents.push_back(r.exponents);
    out_.floss_iteration.push_back(at);
  }
}

models::eprop_gradients trainer::gradients(std::int64_t sequence, const models::readout_error& e) {
  models::eprop_trajectory& tr = tap_.tr;
  if (p_.learning.rule == rule_kind::bptt) {
    // BPTT's matrix products take the spikes as dense [T, n] matrices.
    if (tr.x.size() == 0) tr.x = tr.x_events.dense();
    if (tr.z.size() == 0) tr.z = tr.z_events.dense();
    return models::bptt_gradients(tr, e.error, e.window_length, updater_.float_rec(),
                                  proj_out_.to_dense(), k_.bptt, is_spiking_);
  }
  const models::eprop_settings s = sequence_settings(k_, p_, sequence, *p_.task);
  const Eigen::MatrixXd feedback = p_.learning.symmetric_feedback
                                       ? Eigen::MatrixXd(proj_out_.to_dense().transpose())
                                       : out_.initial->feedback;
  return models::eprop_gradients_of(tr, e.error, e.window_length, feedback, s);
}

trainer::sequence_result trainer::run_sequence(std::int64_t it, std::int64_t k) {
  const std::int64_t sequence = it * batch_ + k;
  const auto& seq = p_.task->get(sequence);
  b_.net.reset();
  // Copied into storage that is swapped with the source's, so that after the first
  // sequences the copy reuses the per-step vectors instead of allocating T of them.
  pattern_ = seq.input_spikes;
  // NEST's e-prop synapses drop the events that would arrive at interval step 0.
  if (p_.learning.nest_variant && !pattern_.empty()) pattern_.front().clear();
  input_.swap_pattern(pattern_, step_);
  tap_.clear(T_, b_.net);
  run_options opts;
  opts.first_step = step_;
  if (progress_) {
    const std::int64_t base = step_, total = iterations_ * batch_ * T_;
    opts.progress = [this, it, base, total](std::int64_t done, std::int64_t) {
      progress_({it + 1, iterations_, base + done, total, last_loss_});
    };
  }
  simulator(b_.net).run({c_.network.dt, T_}, recs_, opts);
  check_finite_state(b_.net, b_.recurrent, step_ + T_ - 1);
  step_ += T_;
  sequence_result r;
  if (!p_.learning.has_target) return r;
  const auto e = models::compute_error(as_matrix(tap_.y), seq.target, seq.learning_window, loss_);
  r.loss = e.loss;
  r.correct = e.correct;
  if (p_.learning.training()) r.grad = gradients(sequence, e);
  return r;
}

void trainer::run_iteration(std::int64_t it) {
  models::eprop_gradients sum;
  double loss_sum = 0.0, correct = 0.0;
  for (std::int64_t k = 0; k < batch_; ++k) {
    sequence_result r = run_sequence(it, k);
    loss_sum += r.loss;
    correct += r.correct ? 1.0 : 0.0;
    if (!r.grad) continue;
    if (k == 0) {
      sum = std::move(*r.grad);
    } else {
      sum.w_in += r.grad->w_in;
      sum.w_rec += r.grad->w_rec;
      sum.w_out += r.grad->w_out;
    }
  }
  if (!p_.learning.has_target) return;
  last_loss_ = loss_sum / static_cast<double>(batch_);
  if (!std::isfinite(last_loss_))
    throw numerical_error("training loss of iteration " + std::to_string(it), step_,
                          "the loss is not finite (the readout diverged; a smaller train.eta?)");
  out_.train_loss.push_back(last_loss_);
  if (p_.task->classification())
    out_.train_accuracy.push_back(correct / static_cast<double>(batch_));
  if (!p_.learning.training()) return;
  const double inv = 1.0 / static_cast<double>(batch_);
  updater_.step_recurrent(opt_, inv * sum.w_in, inv * sum.w_rec);
  weight_updater::step_float(opt_, 2, proj_out_, inv * sum.w_out, false);
  check_finite_weights(b_.net, it, step_);
}

run_data trainer::run() {
  const auto& floss = p_.learning.floss;
  // Checkpoints (OUT.ckpt) and SIGINT for `chaoschip run`; a resumed run starts at `first`.
  checkpointer checkpoints(control_,
                           {{&proj_in_, &proj_rec_, &proj_out_},
                            p_.chip.backend.get(),
                            b_.chip ? &*b_.chip : nullptr,
                            updater_.shadow(),
                            &opt_,
                            &floss_opt_,
                            &updater_.updates(),
                            &step_,
                            &floss_count_,
                            &updater_.chip_updates(),
                            &last_loss_,
                            &out_,
                            &b_.net,
                            &spikes_,
                            &states_},
                           c_, iterations_);
  const std::int64_t first = checkpoints.start();
  if (floss.enabled && !checkpoints.resuming()) floss_epochs(floss.pre_epochs, 0);
  for (std::int64_t it = first; it < iterations_; ++it) {
    checkpoints.at(it);
    run_iteration(it);
    if (floss.enabled && floss.every > 0 && (it + 1) % floss.every == 0)
      floss_epochs(floss.epochs, it + 1);
  }
  checkpoints.at(iterations_);
  checkpoints.finish();
  if (progress_) progress_({iterations_, iterations_, step_, step_, last_loss_, true});
  assemble();
  return std::move(out_);
}

// The result: final weights (in float units), the chip's codes, spikes and states.
void trainer::assemble() {
  if (p_.learning.training() || !out_.floss_loss.empty()) {
    // In float units: the float models' projections hold them; the integer kernels'
    // projections hold state units or codes, so their codes are dequantised instead.
    const bool float_kernel = p_.chip.backend->float_models();
    out_.final = weight_set{float_kernel ? proj_in_.to_dense() : b_.chip->dequantized_in(),
                            float_kernel ? proj_rec_.to_dense() : b_.chip->dequantized_rec(),
                            proj_out_.to_dense(),
                            {},
                            b_.chip.has_value()};
  } else {
    // Unchanged; stored for scripts that always read /network/final.
    out_.final = *out_.initial;
    out_.final->feedback.resize(0, 0);
  }
  if (b_.chip) {
    // Initial codes as mapped; final codes as learned (the updater keeps b.chip current).
    out_.chip = chip_data_of(*initial_chip_, *p_.chip.backend);
    out_.chip->final = chip_data_of(*b_.chip, *p_.chip.backend).initial;
    if (auto* shadow = updater_.shadow())
      out_.chip->shadow = {{"w_in", (*shadow)[0]}, {"w_rec", (*shadow)[1]}};
  }
  for (const auto& [id, train] : spikes_.all()) {
    spike_data s{b_.net.name(id), {}, train.node_ids};
    s.timestamps.reserve(train.steps.size());
    for (auto t : train.steps) s.timestamps.push_back(static_cast<double>(t) * c_.network.dt);
    out_.spikes.push_back(std::move(s));
  }
  const bool integer_state = !p_.chip.backend->float_models();
  for (const auto& [key, series] : states_.all())
    out_.states.push_back({b_.net.name(key.first), key.second, series.steps(), series.n,
                           series.values, integer_state && key.first == b_.recurrent});
  if (c_.record.states) {
    // One trajectory with fixed weights can be replayed by `chaoschip lyapunov`; a training
    // log (networks reset between sequences, weights changing) cannot.
    const bool single = iterations_ * batch_ == 1;
    out_.states_attributes[p_.network.recurrent_name] = {
        {"trajectory", single ? "run" : "training"},
        {"t0", std::int64_t{1}},
        {"weights", "initial"}};
  }
  out_.root_attributes["steps"] = step_;
  out_.root_attributes["dt"] = c_.network.dt;
  out_.root_attributes["model"] = std::string(models::to_string(p_.network.recurrent_model));
  if (p_.imported) {
    // The graph trained, and the nodes that hold the weights in /network (docs/nir.md).
    out_.graph = p_.imported->graph.graph;
    out_.root_attributes["nir_w_in"] = p_.imported->w_in;
    out_.root_attributes["nir_w_rec"] = p_.imported->w_rec;
    out_.root_attributes["nir_w_out"] = p_.imported->w_out;
  }
}

}  // namespace

run_data train(const plan& p, built_network& b, const progress_fn& progress,
               const training_control& control) {
  return trainer(p, b, progress, control).run();
}

}  // namespace chaoschip::experiment
