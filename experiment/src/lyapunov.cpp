#include "chaoschip/experiment/lyapunov.hpp"

#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/lyapunov.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/model_binding.hpp"
#include "chaoschip/experiment/trainable_graph.hpp"

namespace chaoschip::experiment {

using namespace chaoschip::io;

namespace {

bool spiking_model(const run_config& c) {
  return capabilities_of(c).spiking;
}

// The recurrent layer as the engine sees it: a float population with its (dequantised)
// input and recurrent weights, and the external input of each step.
struct layer {
  std::unique_ptr<population> pop;
  std::unique_ptr<projection> w_in, w_rec;
  std::shared_ptr<const models::sequence> drive;  // null: no input
  std::string jacobian;
  population_tangent_system::input_fn input() const {
    if (!drive || drive->steps() == 0) return {};
    return [seq = drive, w = w_in.get()](std::int64_t t, Eigen::Ref<Eigen::VectorXd> in) {
      const auto& spikes = seq->input_spikes[static_cast<std::size_t>(t) % seq->steps()];
      w->deliver_spikes(spikes, in.data());
    };
  }
};

layer make_layer(const run_config& c, const chip_plan& chip, const weight_set& w) {
  if (c.network.delay_rec != 1)
    throw parameter_error("network.delay_rec", std::to_string(c.network.delay_rec),
                          "1 for Lyapunov spectra (the Jacobian of a step must depend on the "
                          "state before it only)");
  layer l;
  l.pop = make_recurrent(c);
  l.jacobian = spiking_model(c)                         ? "surrogate"
               : capabilities_of(c).continuous_coupling ? "exact (variational equation)"
                                                        : "exact";
  Eigen::MatrixXd w_in = w.w_in, w_rec = w.w_rec;
  if (chip.backend->quantises()) {
    // The chip's weights as the float dynamics see them: float weights are mapped as the
    // factory maps them; a chip's own weights (w.dequantized) are used as they are.
    if (!w.dequantized) {
      check_recurrent_model(c, *chip.backend);
      const auto m = chip.backend->map_weights(chip.neuron, w.w_in, w.w_rec, chip.gamma, chip.seed);
      w_in = m.dequantized_in();
      w_rec = m.dequantized_rec();
    }
    l.jacobian += ", dequantized (" + chip.profile.name + ")";
  }
  l.w_in = make_projection(c, w_in);
  l.w_rec = make_projection(c, w_rec);
  if (c.lyapunov.input == "task" && c.task.name != "none") {
    auto task = make_task(c);
    l.drive = std::make_shared<const models::sequence>(task->get(0));
  }
  return l;
}

void set_initial_state(const run_config& c, population& pop) {
  pop.reset();
  const std::uint64_t seed =
      static_cast<std::uint64_t>(c.lyapunov.initial_seed >= 0 ? c.lyapunov.initial_seed : c.seed);
  random_stream rng(seed, "lyapunov.initial");
  const double scale = c.lyapunov.initial_scale * (spiking_model(c) ? c.neuron.v_th : 1.0);
  Eigen::VectorXd x(static_cast<Eigen::Index>(pop.size()));
  for (auto& v : x) v = scale * rng.normal();
  pop.set_variable(spiking_model(c) ? "v" : "h", x);
}

lyapunov_options options_of(const run_config& c, thread_pool* pool) {
  lyapunov_options o;
  o.k = static_cast<std::size_t>(c.lyapunov.k);
  o.steps = c.lyapunov.steps;
  o.warmup = c.lyapunov.warmup;
  o.ons_interval = c.lyapunov.ons_interval;
  o.seed =
      static_cast<std::uint64_t>(c.lyapunov.tangent_seed >= 0 ? c.lyapunov.tangent_seed : c.seed);
  o.checkpoints = c.lyapunov.checkpoints;
  o.pool = pool;
  return o;
}

lyapunov_data data_of(const lyapunov_result& r, const run_config& c, const lyapunov_options& o) {
  // Nothing non-finite is written (Kaplan-Yorke is NaN by definition for an incomplete
  // spectrum whose partial sums stay >= 0).
  if (!r.exponents.allFinite() || !std::isfinite(r.entropy_rate) || std::isinf(r.kaplan_yorke))
    throw numerical_error("lyapunov", o.warmup + o.steps,
                          "the exponents are not finite (the dynamics or the Jacobian diverged)");
  lyapunov_data d;
  d.exponents = r.exponents;
  d.convergence = r.convergence;
  d.checkpoint_steps = r.checkpoint_steps;
  d.cond = r.cond;
  d.kaplan_yorke = r.kaplan_yorke;
  d.entropy_rate = r.entropy_rate;
  d.steps = o.steps;
  d.warmup = o.warmup;
  d.ons_interval = o.ons_interval;
  d.dt = c.network.dt;
  return d;
}

// Stores the trajectory of the wrapped system: the state now, then after every step.
class recording_system final : public tangent_system {
 public:
  recording_system(tangent_system& inner, const population& pop)
      : inner_(&inner), pop_(&pop), vars_(pop.variables()), rows_(vars_.size()) {
    record();
  }
  std::size_t dim() const noexcept override { return inner_->dim(); }
  bool separable() const noexcept override { return inner_->separable(); }
  void apply(Eigen::Ref<Eigen::MatrixXd> q) const override { inner_->apply(q); }
  bool has_jacobian_matrix() const noexcept override { return inner_->has_jacobian_matrix(); }
  void jacobian_matrix(Eigen::MatrixXd& d) const override { inner_->jacobian_matrix(d); }
  void advance() override {
    inner_->advance();
    record();
  }
  void step(Eigen::Ref<Eigen::MatrixXd> q) override {
    inner_->step(q);
    record();
  }
  void store(state_log& log) const {
    const auto n = static_cast<Eigen::Index>(pop_->size());
    for (std::size_t v = 0; v < vars_.size(); ++v)
      log.variables.emplace_back(
          vars_[v], Eigen::Map<const row_matrix>(
                        rows_[v].data(), static_cast<Eigen::Index>(rows_[v].size()) / n, n));
    log.attributes.insert_or_assign("trajectory", std::string("lyapunov"));
    log.attributes.insert_or_assign("t0", std::int64_t{0});
  }

 private:
  void record() {
    for (std::size_t v = 0; v < vars_.size(); ++v) {
      const Eigen::VectorXd x = pop_->variable(vars_[v]);
      rows_[v].insert(rows_[v].end(), x.data(), x.data() + x.size());
    }
  }
  tangent_system* inner_;
  const population* pop_;
  std::vector<std::string> vars_;
  std::vector<std::vector<double>> rows_;
};

}  // namespace

lyapunov_data measure_lyapunov(const run_config& c, const weight_set& w, thread_pool* pool,
                               state_log* log, const step_progress& progress) {
  if (c.network.source == "nir") {
    // A trained graph whose LIF layer runs as NIR's LIF: the graph's spectrum.
    const plan p = lower(c);
    // Weights of another size (a config's draw, `lyapunov CONFIG`): the graph's own.
    const auto& n = p.network;
    const bool sized = w.w_rec.rows() == static_cast<Eigen::Index>(n.n_rec) &&
                       w.w_in.cols() == static_cast<Eigen::Index>(n.n_in);
    if (p.imported && !p.imported->chaoschip_model)
      return measure_graph_lyapunov(
          p.config,
          sized ? graph_with_weights(p, w)
                : graph_with_weights(p, {n.in_rec.weights, n.rec_rec.weights, {}, {}, false}),
          *p.task, pool);
  }
  return measure_lyapunov(c, chip_plan_of(c), w, pool, log, progress);
}

lyapunov_data measure_lyapunov(const run_config& c, const chip_plan& chip, const weight_set& w,
                               thread_pool* pool, state_log* log, const step_progress& progress) {
  layer l = make_layer(c, chip, w);
  set_initial_state(c, *l.pop);
  population_tangent_system sys(*l.pop, l.w_rec.get(), l.input());
  lyapunov_options o = options_of(c, pool);
  o.progress = progress;
  lyapunov_result r;
  if (log) {
    recording_system rec(sys, *l.pop);
    r = lyapunov_spectrum(rec, o);
    rec.store(*log);
  } else {
    r = lyapunov_spectrum(sys, o);
  }
  lyapunov_data d = data_of(r, c, o);
  d.jacobian = l.jacobian;
  d.source = "simulated";
  if (c.lyapunov.twin) {
    if (spiking_model(c))
      throw parameter_error("lyapunov.twin", "true",
                            "false for spiking models (a tiny perturbation of a spiking "
                            "network does not grow smoothly)");
    layer a = make_layer(c, chip, w), b = make_layer(c, chip, w);
    set_initial_state(c, *a.pop);
    set_initial_state(c, *b.pop);
    population_tangent_system sa(*a.pop, a.w_rec.get(), a.input());
    population_tangent_system sb(*b.pop, b.w_rec.get(), b.input());
    o.progress = {};
    d.twin = twin_largest_exponent(sa, sb, o, c.lyapunov.twin_epsilon);
  }
  return d;
}

namespace {

// What drives a graph's recurrent population: its recurrence, the Input's projection,
// the biases. Throws when anything else does.
struct graph_drive {
  std::unique_ptr<projection> w_rec, w_in;
  Eigen::VectorXd bias;
};

graph_drive drive_of(const graph_plan& g, std::size_t r) {
  const auto& name = g.populations[r].name;
  graph_drive d;
  d.bias = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(g.populations[r].n));
  for (const auto& [target, b] : g.biases)
    if (target == r) d.bias += b;
  for (const auto& p : g.projections) {
    if (p.target != r) continue;
    if (p.source == r && p.delay == 1) {
      d.w_rec = std::make_unique<dense_projection>(p.weights);
    } else if (p.source == g.input && p.delay == 0) {
      d.w_in = std::make_unique<dense_projection>(p.weights);
    } else {
      throw parameter_error(
          "nir.recurrent", "\"" + name + "\"",
          "a population driven only by the graph's Input (without delay) and "
          "its own recurrence (one step), for Lyapunov spectra in this version; '" +
              g.populations[p.source].name + "' drives it too");
    }
  }
  return d;
}

}  // namespace

lyapunov_data measure_graph_lyapunov(const run_config& c, const graph_plan& g, models::task& task,
                                     thread_pool* pool) {
  const std::size_t r = g.recurrent.value();
  const graph_population& rp = g.populations[r];
  const graph_drive d = drive_of(g, r);
  auto pop = models::make_population(rp.model, rp.values, g.dt, rp.n);
  if (static_cast<std::size_t>(c.lyapunov.k) > pop->tangent_dim())
    throw parameter_error("lyapunov.k", std::to_string(c.lyapunov.k),
                          fmt::format("an integer in [1, {}] (the state dimension of '{}')",
                                      pop->tangent_dim(), rp.name));
  std::shared_ptr<const models::sequence> drive;
  if (c.lyapunov.input == "task" && c.task.name != "none")
    drive = std::make_shared<const models::sequence>(task.get(0));
  population_tangent_system::input_fn input = [&d, drive](std::int64_t t,
                                                          Eigen::Ref<Eigen::VectorXd> in) {
    in += d.bias;
    if (!drive || drive->steps() == 0 || !d.w_in) return;
    d.w_in->deliver_spikes(drive->input_spikes[static_cast<std::size_t>(t) % drive->steps()],
                           in.data());
  };
  // The initial state: v ~ initial_scale v_threshold N(0, 1) (the mean threshold; 1 for
  // graded models), from the stream "lyapunov.initial".
  pop->reset();
  const auto th = rp.values.numbers.find("v_threshold");
  const double scale =
      c.lyapunov.initial_scale * (th == rp.values.numbers.end() ? 1.0 : th->second.mean());
  random_stream rng(
      static_cast<std::uint64_t>(c.lyapunov.initial_seed >= 0 ? c.lyapunov.initial_seed : c.seed),
      "lyapunov.initial");
  Eigen::VectorXd x(static_cast<Eigen::Index>(rp.n));
  for (auto& v : x) v = scale * rng.normal();
  pop->set_variable("v", x);
  population_tangent_system sys(*pop, d.w_rec.get(), std::move(input));
  const lyapunov_options o = options_of(c, pool);
  lyapunov_data out = data_of(lyapunov_spectrum(sys, o), c, o);
  out.jacobian = pop->output() == output_kind::spikes ? "surrogate" : "exact";
  out.source = "simulated";
  return out;
}

lyapunov_data lyapunov_from_log(const run_config& c, const weight_set& w, const state_log& log,
                                thread_pool* pool, const step_progress& progress) {
  // A LIF log gives v (and i_syn, a); the spikes and pseudo-derivative follow from them,
  // but refractory counters do not.
  if (spiking_model(c) && c.neuron.t_ref > c.network.dt)
    throw parameter_error("neuron.t_ref", fmt::format("{}", c.neuron.t_ref),
                          "<= network.dt for spectra from recorded LIF states (refractory "
                          "counters are not recorded)");
  const chip_plan chip = chip_plan_of(c);
  if (!chip.backend->float_models())
    throw parameter_error("chip.kernel", "\"" + c.chip.kernel + "\"",
                          "\"float64\" for spectra from recorded states (integer chip states "
                          "are not replayed yet; without /states the spectrum is simulated)");
  layer l = make_layer(c, chip, w);
  std::int64_t t0 = 0;
  if (auto it = log.attributes.find("t0"); it != log.attributes.end()) {
    const auto step = as_integer(it->second);
    if (!step || *step < 0) throw error("attribute 't0' is not an integer step >= 0");
    t0 = *step;
  }
  std::vector<std::pair<std::string, replay_tangent_system::rows_t>> states(log.variables.begin(),
                                                                            log.variables.end());
  replay_tangent_system sys(*l.pop, l.w_rec.get(), std::move(states), l.input(), t0);
  lyapunov_options o = options_of(c, pool);
  if (sys.steps() <= o.warmup)
    throw parameter_error(
        "lyapunov.warmup", std::to_string(o.warmup),
        "fewer than the " + std::to_string(sys.steps()) + " steps of the recorded trajectory");
  o.steps = sys.steps() - o.warmup;
  o.progress = progress;
  lyapunov_data d = data_of(lyapunov_spectrum(sys, o), c, o);
  d.jacobian = l.jacobian;
  d.source = "recorded states";
  return d;
}

}  // namespace chaoschip::experiment
