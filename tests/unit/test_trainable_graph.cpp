// The trainable shape of an imported NIR graph (experiment/trainable_graph.hpp): which
// graphs are in it and why the others are not, and chaoschip's own network restored
// exactly from the node metadata (doubles written with 17 significant digits).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "chaoschip/experiment/trainable_graph.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/nir.hpp"

using namespace chaoschip;
using io::nir_type;

namespace {

io::nir_node node(std::string name, nir_type type, std::map<std::string, Eigen::MatrixXd> p = {}) {
  io::nir_node n;
  n.name = std::move(name);
  n.type = type;
  n.params = std::move(p);
  return n;
}

Eigen::MatrixXd col(Eigen::Index n, double x) {
  return Eigen::MatrixXd::Constant(n, 1, x);
}

// Input(3) -> w_in -> lif(4) <-> w_rec, lif -> w_out -> li(2) -> Output.
io::nir_graph good(bool with_li = true) {
  io::nir_graph g;
  auto input = node("in", nir_type::input);
  input.shape = {3};
  auto output = node("out", nir_type::output);
  output.shape = {2};
  g.nodes = {input,
             node("a", nir_type::linear, {{"weight", Eigen::MatrixXd::Ones(4, 3)}}),
             node("lif", nir_type::lif,
                  {{"tau", col(4, 0.02)},
                   {"r", col(4, 1.0)},
                   {"v_leak", col(4, 0.0)},
                   {"v_threshold", col(4, 1.0)},
                   {"v_reset", col(4, 0.0)}}),
             node("rec", nir_type::affine,
                  {{"weight", Eigen::MatrixXd::Ones(4, 4)}, {"bias", col(4, 0.0)}}),
             node("b", nir_type::linear, {{"weight", Eigen::MatrixXd::Ones(2, 4)}}),
             output};
  g.edges = {{"in", "a"}, {"a", "lif"}, {"lif", "rec"}, {"rec", "lif"}, {"lif", "b"}};
  if (with_li) {
    g.nodes.push_back(node("li", nir_type::li,
                           {{"tau", col(2, 0.03)}, {"r", col(2, 1.0)}, {"v_leak", col(2, 0.0)}}));
    g.edges.push_back({"b", "li"});
    g.edges.push_back({"li", "out"});
  } else {
    g.edges.push_back({"b", "out"});
  }
  return g;
}

std::string why(const io::nir_graph& g) {
  const auto m = experiment::match_trainable(g);
  return std::holds_alternative<std::string>(m) ? std::get<std::string>(m) : "";
}

}  // namespace

TEST_CASE("trainable shape: the graphs in it and why others are not", "[nir][trainable]") {
  const io::nir_graph g = good();
  io::validate_nir(g);
  const auto m = experiment::match_trainable(g);
  REQUIRE(std::holds_alternative<experiment::trainable_shape>(m));
  const auto& s = std::get<experiment::trainable_shape>(m);
  CHECK(s.w_in->name == "a");
  CHECK(s.w_rec->name == "rec");
  CHECK(s.w_out->name == "b");
  CHECK(s.readout->name == "li");
  const io::nir_graph direct = good(false);
  io::validate_nir(direct);
  REQUIRE(why(direct).empty());
  CHECK(std::get<experiment::trainable_shape>(experiment::match_trainable(direct)).readout ==
        nullptr);

  io::nir_graph cuba = good();
  cuba.nodes[2] = node("lif", nir_type::cuba_lif);
  CHECK_THAT(why(cuba), Catch::Contains("CubaLIF recurrent layer 'lif': no e-prop"));
  io::nir_graph bias = good();
  bias.nodes[3].params["bias"](1) = 0.5;
  CHECK_THAT(why(bias), Catch::Contains("'rec' (Affine) has a non-zero bias"));
  io::nir_graph leaky = good();
  leaky.nodes[6].params["r"](0) = 2.0;
  CHECK_THAT(why(leaky), Catch::Contains("the LI readout 'li' needs r = 1"));
  io::nir_graph scaled = good();
  scaled.nodes.push_back(node("s", nir_type::scale, {{"scale", col(2, 1.0)}}));
  CHECK_THAT(why(scaled), Catch::Contains("node 's' (Scale) has no place in it"));
  io::nir_graph no_rec = good();
  no_rec.edges[3] = {"rec", "li"};
  CHECK_THAT(why(no_rec), Catch::Contains("recurrence"));
  io::nir_graph extra = good();
  extra.edges.push_back({"a", "li"});
  CHECK(!why(extra).empty());
}

TEST_CASE("trainable shape: chaoschip's network restored exactly from its metadata",
          "[nir][trainable]") {
  io::nir_graph g = good();
  const double tau_m = 0.1 + 0.2, v_th = 1.0 / 3.0, tau_a = 1e-3 * 7.0, readout_tau = 25.0 / 7.0;
  auto& meta = g.nodes[2].metadata;
  meta["chaoschip.model"] = "alif";
  meta["chaoschip.neuron.tau_m"] = fmt::format("{:.17g}", tau_m);
  meta["chaoschip.neuron.v_th"] = fmt::format("{:.17g}", v_th);
  meta["chaoschip.neuron.tau_a"] = fmt::format("{:.17g}", tau_a);
  meta["chaoschip.neuron.n_adaptive"] = "2";
  meta["chaoschip.neuron.reset"] = "value";
  meta["chaoschip.neuron.regular_spike_arrival"] = "true";
  meta["chaoschip.network.delay_rec"] = "1";
  g.nodes[6].metadata["chaoschip.readout.tau"] = fmt::format("{:.17g}", readout_tau);
  const auto s = std::get<experiment::trainable_shape>(experiment::match_trainable(g));
  CHECK(experiment::has_chaoschip_model(s));
  const io::run_config c = io::parse_config("", "test");
  const io::run_config e = experiment::trainable_config(c, s);
  CHECK(e.network.model == "alif");
  CHECK(e.network.n_in == 3);
  CHECK(e.network.n_rec == 4);
  CHECK(e.network.n_out == 2);
  CHECK(e.neuron.tau_m == tau_m);  // bit for bit
  CHECK(e.neuron.v_th == v_th);
  CHECK(e.neuron.tau_a == tau_a);
  CHECK(e.neuron.n_adaptive == 2);
  CHECK(e.neuron.reset == "value");
  CHECK(e.neuron.regular_spike_arrival);
  CHECK(e.readout.tau == readout_tau);
  // Without metadata: the LI's tau in ms, the rest of the config as it was.
  const io::nir_graph plain = good();
  const auto e2 = experiment::trainable_config(
      c, std::get<experiment::trainable_shape>(experiment::match_trainable(plain)));
  CHECK(e2.readout.tau == Approx(30.0).epsilon(1e-15));
  CHECK(e2.network.model == c.network.model);
  CHECK(e2.neuron == c.neuron);
  // A metadata value that does not fit is the config's error, naming the key.
  meta["chaoschip.neuron.v_th"] = "-1";
  const auto bad = std::get<experiment::trainable_shape>(experiment::match_trainable(g));
  CHECK_THROWS_WITH(experiment::trainable_config(c, bad), Catch::Contains("neuron.v_th"));
}
