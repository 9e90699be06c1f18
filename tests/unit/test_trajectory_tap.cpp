// The trajectory tap (experiment/trajectory_tap.hpp): what it keeps per step equals what
// the engine's own recorders see (the readout, the input and recurrent spikes, rates), the
// input a step late behind Loihi's Dense, and a chip kernel's pseudo-derivative scaled.
#include <catch2/catch.hpp>

#include "chaoschip/core/recording.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/experiment/factory.hpp"
#include "chaoschip/experiment/trajectory_tap.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/models/sources.hpp"

using namespace chaoschip;

namespace {

constexpr std::int64_t T = 30;

// Input neuron i spikes at steps t with (t + i) % 3 == 0.
models::spike_pattern_source::pattern input_pattern(std::uint32_t n_in) {
  models::spike_pattern_source::pattern p(T);
  for (std::int64_t t = 0; t < T; ++t)
    for (std::uint32_t i = 0; i < n_in; ++i)
      if ((t + i) % 3 == 0) p[static_cast<std::size_t>(t)].push_back(i);
  return p;
}

struct tapped {
  experiment::built_network b;
  experiment::trajectory_tap tap;
};

tapped built(const io::run_config& c) {
  return {experiment::build_network(c, experiment::make_initial_weights(c)), {}};
}

void run(tapped& r, spike_recorder& spikes, state_recorder& states) {
  auto pattern = input_pattern(6);
  dynamic_cast<models::spike_pattern_source&>(r.b.net.at(r.b.input)).swap_pattern(pattern, 0);
  r.tap.in = r.b.input;
  r.tap.rec = r.b.recurrent;
  r.tap.out = r.b.readout;
  r.tap.full = true;
  r.tap.clear(T, r.b.net);
  std::vector<recorder*> recs{&r.tap, &spikes, &states};
  simulator(r.b.net).run({1.0, T}, recs, {});
}

io::run_config config(const std::string& model, const std::string& profile) {
  return io::parse_config("", "test",
                          {"network.model=\"" + model + "\"", "network.n_in=6", "network.n_rec=5",
                           "network.n_out=2", "network.gain=2.0", "network.input_gain=20.0",
                           "neuron.v_th=0.01", "chip.profile=\"" + profile + "\""});
}

// The spikes of population `id` at each step, as per-step lists.
std::vector<std::vector<std::uint32_t>> per_step(const spike_recorder& s, population_id id) {
  std::vector<std::vector<std::uint32_t>> out(T);
  const auto& train = s.all().at(id);
  for (std::size_t k = 0; k < train.steps.size(); ++k)
    out[static_cast<std::size_t>(train.steps[k])].push_back(
        static_cast<std::uint32_t>(train.node_ids[k]));
  return out;
}

}  // namespace

TEST_CASE("trajectory tap: readout, input and recurrent spikes as the engine records them",
          "[trajectory_tap]") {
  const auto c = config("lif", "float64");
  tapped r = built(c);
  spike_recorder spikes({r.b.input, r.b.recurrent});
  state_recorder states(r.b.net, {r.b.readout});
  run(r, spikes, states);
  const auto& y = states.all().begin()->second.values;
  REQUIRE(r.tap.y.size() == y.size());
  for (std::size_t i = 0; i < y.size(); ++i) CHECK(r.tap.y[i] == y[i]);
  const auto x = r.tap.tr.x_events.dense(), z = r.tap.tr.z_events.dense();
  REQUIRE(x.rows() == T);
  const auto in = per_step(spikes, r.b.input), rec = per_step(spikes, r.b.recurrent);
  std::size_t rec_spikes = 0;
  for (std::int64_t t = 0; t < T; ++t) {
    CHECK(x.row(t).sum() == static_cast<double>(in[static_cast<std::size_t>(t)].size()));
    for (auto i : in[static_cast<std::size_t>(t)]) CHECK(x(t, i) == 1.0);
    for (auto i : rec[static_cast<std::size_t>(t)]) CHECK(z(t, i) == 1.0);
    CHECK(z.row(t).sum() == static_cast<double>(rec[static_cast<std::size_t>(t)].size()));
    rec_spikes += rec[static_cast<std::size_t>(t)].size();
  }
  CHECK(rec_spikes > 0);
  CHECK(r.tap.tr.psi.rows() == T);
}

TEST_CASE("trajectory tap: rates as [T, n] rows", "[trajectory_tap]") {
  const auto c = config("rate", "float64");
  tapped r = built(c);
  spike_recorder spikes({r.b.input});
  state_recorder states(r.b.net, {r.b.recurrent});
  run(r, spikes, states);
  // The rate model's graded output is phi(h) = tanh(h) of its recorded state.
  const auto& h = states.all().at({r.b.recurrent, "h"}).values;
  REQUIRE(r.tap.tr.z.rows() == T);
  for (Eigen::Index t = 0; t < T; ++t)
    for (Eigen::Index i = 0; i < 5; ++i)
      CHECK(r.tap.tr.z(t, i) == Approx(std::tanh(h[static_cast<std::size_t>(t * 5 + i)])));
}

TEST_CASE("trajectory tap: Loihi's input a step late, its psi scaled", "[trajectory_tap]") {
  const auto c = config("lif", "loihi");
  tapped r = built(c);
  spike_recorder spikes({r.b.input});
  state_recorder states(r.b.net, {});
  r.tap.input_delay = 1;
  r.tap.psi_scale = 2.5;
  run(r, spikes, states);
  const auto x = r.tap.tr.x_events.dense();
  const auto in = per_step(spikes, r.b.input);
  CHECK(x.row(0).sum() == 0.0);
  for (std::int64_t t = 1; t < T; ++t) {
    CHECK(x.row(t).sum() == static_cast<double>(in[static_cast<std::size_t>(t - 1)].size()));
    for (auto i : in[static_cast<std::size_t>(t - 1)]) CHECK(x(t, i) == 1.0);
  }
  const auto& pop =
      dynamic_cast<const model_population<neuromorphic::loihi_lif>&>(r.b.net.at(r.b.recurrent));
  for (Eigen::Index i = 0; i < 5; ++i) CHECK(r.tap.tr.psi(T - 1, i) == 2.5 * pop.state().psi[i]);
}
