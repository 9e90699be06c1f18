// export_graph (docs/nir.md, "Exporting"): a config network as a NIR graph. The LIF's and
// LI's NIR parameters reproduce chaoschip's per-step decay and input gain under NIR's
// zero-order hold (closed forms computed here), the weights are the ones given, every
// [neuron] key comes back exactly from its metadata text, and the graph survives
// write_nir -> read_nir unchanged.
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/experiment/nir_export.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/nir.hpp"
#include "test_support.hpp"

using namespace chaoschip;
using io::nir_type;

namespace {

io::run_config small_config(const std::string& extra = "") {
  return io::parse_config(
      "[network]\nn_in = 3\nn_rec = 4\nn_out = 2\ndt = 0.1\n[neuron]\ntau_m = 7.0\n"
      "v_th = 0.3\nt_ref = 0.3\nreset = \"value\"\nv_reset = -0.1\n[readout]\ntau = 11.0\n" +
          extra,
      "test");
}

io::weight_set random_weights(const io::run_config& c) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  auto mat = [&](std::int64_t r, std::int64_t k) {
    Eigen::MatrixXd m(r, k);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
    return m;
  };
  io::weight_set w;
  w.w_in = mat(c.network.n_rec, c.network.n_in);
  w.w_rec = mat(c.network.n_rec, c.network.n_rec);
  w.w_out = mat(c.network.n_out, c.network.n_rec);
  return w;
}

const io::nir_node& node(const io::nir_graph& g, const std::string& name) {
  for (const auto& n : g.nodes)
    if (n.name == name) return n;
  FAIL("no node " << name);
  throw std::logic_error("unreachable");
}

bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

const experiment::export_origin origin{"run.h5", "test", experiment::export_weights::final};

}  // namespace

TEST_CASE("a config network exports as input, w_in, recurrent LIF, w_rec, w_out, LI, output",
          "[nir][export]") {
  const bool regular = GENERATE(false, true);
  INFO("regular_spike_arrival = " << regular);
  io::run_config cfg = small_config();
  cfg.neuron.regular_spike_arrival = regular;
  const auto w = random_weights(cfg);
  const io::nir_graph g = experiment::export_graph(cfg, w, origin);

  std::vector<std::string> names;
  for (const auto& n : g.nodes) names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"input", "w_in", "recurrent", "w_rec", "w_out", "readout",
                                          "output"});
  CHECK(node(g, "input").shape == std::vector<std::int64_t>{3});
  CHECK(node(g, "output").shape == std::vector<std::int64_t>{2});
  CHECK(same_bits(node(g, "w_in").params.at("weight"), w.w_in));
  CHECK(same_bits(node(g, "w_rec").params.at("weight"), w.w_rec));
  CHECK(same_bits(node(g, "w_out").params.at("weight"), w.w_out));

  // NIR's LIF under zero-order hold over dt: v <- a v + (1 - a) r I with a = exp(-dt/tau)
  // (seconds). chaoschip's lif: v <- alpha v + c_in I, alpha = exp(-dt/tau_m) (ms), c_in = 1
  // (regular spike arrival) or 1 - alpha.
  const auto& lif = node(g, "recurrent");
  REQUIRE(lif.type == nir_type::lif);
  const double alpha = std::exp(-0.1 / 7.0), c_in = regular ? 1.0 : 1.0 - alpha;
  for (Eigen::Index i = 0; i < 4; ++i) {
    const double tau = lif.params.at("tau")(i), r = lif.params.at("r")(i);
    CHECK(tau == 7.0 / 1000.0);
    const double a = std::exp(-1e-4 / tau);
    CHECK(a == Approx(alpha).epsilon(1e-14));
    CHECK((1.0 - a) * r == Approx(c_in).epsilon(1e-12));
    CHECK(lif.params.at("v_leak")(i) == 0.0);
    CHECK(lif.params.at("v_threshold")(i) == 0.3);
    CHECK(lif.params.at("v_reset")(i) == -0.1);
  }
  if (!regular) CHECK(lif.params.at("r").isOnes());
  // The readout y <- k y + (1 - k) W z is NIR's LI with r = 1.
  const auto& li = node(g, "readout");
  REQUIRE(li.type == nir_type::li);
  CHECK(li.params.at("tau").isConstant(11.0 / 1000.0));
  CHECK(li.params.at("r").isOnes());
  CHECK(li.params.at("v_leak").isZero());
  CHECK(std::stod(li.metadata.at("chaoschip.readout.tau")) == 11.0);
  CHECK(g.metadata.at("chaoschip.dt_ms") == "0.10000000000000001");
  CHECK(g.metadata.at("chaoschip.source") == "run.h5");
  CHECK(g.metadata.at("chaoschip.weights") == "final");
  CHECK_FALSE(g.metadata.contains("chaoschip.chip.profile"));  // float64
}

TEST_CASE("the recurrent node's metadata gives back every [neuron] key exactly", "[nir][export]") {
  io::run_config c = small_config();
  c.network.model = "alif";
  c.neuron.gamma = 0.1 + 0.2;  // not the shortest decimal: all 17 digits needed
  c.neuron.tau_a = 1.0 / 3.0;
  c.network.delay_rec = 3;
  const auto g = experiment::export_graph(c, random_weights(c), origin);
  const auto& m = node(g, "recurrent").metadata;
  CHECK(m.at("chaoschip.model") == "alif");
  CHECK(m.at("chaoschip.network.delay_rec") == "3");
  // The metadata read back through the config parser as --set overrides.
  std::vector<std::string> sets;
  for (const auto& [key, value] : m) {
    const std::string prefix = "chaoschip.neuron.";
    if (!key.starts_with(prefix)) continue;
    const std::string k = key.substr(prefix.size());
    const bool text = k == "phi" || k == "reset" || k == "ode_method";
    std::string v = text ? "\"" + value + "\"" : value;
    // TOML wants a '.' or an exponent in a float: integral doubles print as "7".
    if (!text && value != "true" && value != "false" && k != "n_adaptive" && k != "ode_substeps" &&
        value.find_first_of(".e") == std::string::npos)
      v += ".0";
    sets.push_back("neuron." + k + "=" + v);
  }
  CHECK(sets.size() == 16);
  const io::run_config back = io::parse_config("", "metadata", sets);
  CHECK(back.neuron == c.neuron);
}

TEST_CASE("an exported graph is written and read back identical", "[nir][export]") {
  test::scratch_dir dir;
  io::run_config c = small_config();
  c.readout.tau = 0.0;  // an instantaneous readout: w_out feeds the output
  const auto g = experiment::export_graph(c, random_weights(c), origin);
  CHECK(g.nodes.size() == 6);
  CHECK(g.edges.back().source == "w_out");
  CHECK(g.edges.back().target == "output");
  const auto path = dir.path / "net.nir";
  io::write_nir(path, g);
  const auto back = io::read_nir(path);
  REQUIRE(back.nodes.size() == g.nodes.size());
  CHECK(back.metadata == g.metadata);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    CHECK(back.nodes[i].name == g.nodes[i].name);
    CHECK(back.nodes[i].type == g.nodes[i].type);
    CHECK(back.nodes[i].shape == g.nodes[i].shape);
    CHECK(back.nodes[i].metadata == g.nodes[i].metadata);
    for (const auto& [p, m] : g.nodes[i].params) CHECK(same_bits(back.nodes[i].params.at(p), m));
  }
  REQUIRE(back.edges.size() == g.edges.size());
  for (std::size_t i = 0; i < g.edges.size(); ++i) {
    CHECK(back.edges[i].source == g.edges[i].source);
    CHECK(back.edges[i].target == g.edges[i].target);
  }
}

TEST_CASE("rate networks are not exported", "[nir][export]") {
  for (const std::string model : {"rate", "rate_ode"}) {
    io::run_config c = small_config();
    c.network.model = model;
    try {
      (void)experiment::export_graph(c, random_weights(c), origin);
      FAIL("no error for " << model);
    } catch (const parameter_error& e) {
      CHECK(e.key() == "network.model");
    }
  }
}
