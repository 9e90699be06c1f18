// The model registry (factory, parameter ranges, capabilities, learning constants) and the
// recordables tables (variables() names and order, set/get, unknown names).
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/model_population.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/models/cuba_li.hpp"
#include "chaoschip/models/cuba_lif.hpp"
#include "chaoschip/models/if_neuron.hpp"
#include "chaoschip/models/li.hpp"
#include "chaoschip/models/lif.hpp"
#include "chaoschip/models/nir_integrator.hpp"
#include "chaoschip/models/nir_lif.hpp"
#include "chaoschip/models/rate.hpp"
#include "chaoschip/models/rate_ode.hpp"
#include "chaoschip/models/readout.hpp"
#include "chaoschip/models/registry.hpp"
#include "chaoschip/neuromorphic/fixed_lif.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"
#include "chaoschip/neuromorphic/xylo.hpp"

using namespace chaoschip;
using namespace chaoschip::models;
namespace nm = chaoschip::neuromorphic;
using names = std::vector<std::string>;

namespace {

// Steps both populations with the same random input and compares every recordable bit for
// bit, and the spikes.
void check_same_steps(population& a, population& b, std::uint64_t seed) {
  REQUIRE(a.variables() == b.variables());
  REQUIRE(a.size() == b.size());
  const auto n = static_cast<Eigen::Index>(a.size());
  random_stream rng(seed, "input");
  for (int t = 0; t < 200; ++t) {
    Eigen::VectorXd in(n);
    for (Eigen::Index i = 0; i < n; ++i) in[i] = 0.05 * rng.normal() + 0.02;
    a.step(t, in);
    b.step(t, in);
    for (const auto& v : a.variables()) CHECK(a.variable(v) == b.variable(v));
    CHECK(std::vector<std::uint32_t>(a.spikes().begin(), a.spikes().end()) ==
          std::vector<std::uint32_t>(b.spikes().begin(), b.spikes().end()));
    CHECK(a.graded() == b.graded());
  }
}

}  // namespace

TEST_CASE("registry: make_population builds the populations the direct constructors build",
          "[registry]") {
  const double dt = 1.0;
  const std::size_t n = 20;
  {
    auto a = make_population(model_kind::rate,
                             parameter_values{}.set("alpha", 0.3).set("phi", std::string("relu")),
                             dt, n);
    model_population<rate> b(rate({.alpha = 0.3, .phi = activation::relu}, dt), n);
    check_same_steps(*a, b, 1);
  }
  {
    auto a = make_population(model_kind::rate_ode,
                             parameter_values{}
                                 .set("tau_m", 5.0)
                                 .set("ode_method", std::string("rk4"))
                                 .set("ode_substeps", 4.0),
                             dt, n);
    model_population<rate_ode> b(
        rate_ode({.tau = 5.0, .method = ode_method::rk4, .substeps = 4}, dt), n);
    check_same_steps(*a, b, 2);
  }
  for (bool syn : {false, true}) {
    auto a = make_population(model_kind::lif,
                             parameter_values{}
                                 .set("tau_m", 10.0)
                                 .set("tau_syn", syn ? 3.0 : 0.0)
                                 .set("v_th", 0.05)
                                 .set("t_ref", 2.0)
                                 .set("reset", std::string("value")),
                             dt, n);
    model_population<lif> b(lif({.tau_m = 10.0,
                                 .tau_syn = syn ? 3.0 : 0.0,
                                 .v_th = 0.05,
                                 .t_ref = 2.0,
                                 .reset = reset_mode::value},
                                dt),
                            n);
    CHECK(a->model() == "lif");
    check_same_steps(*a, b, 3);
  }
  {
    auto a = make_population(model_kind::alif,
                             parameter_values{}.set("v_th", 0.02).set("n_adaptive", 5.0), dt, n);
    model_population<lif> b(lif({.v_th = 0.02, .adaptive = true, .n_adaptive = 5}, dt), n);
    CHECK(a->model() == "alif");
    check_same_steps(*a, b, 4);
  }
  {  // The NIR models through the registry, per-neuron parameters included.
    Eigen::ArrayXd tau = Eigen::ArrayXd::LinSpaced(static_cast<Eigen::Index>(n), 1.0, 5.0);
    auto a = make_population(model_kind::cuba_lif,
                             parameter_values{}
                                 .set("tau_mem", tau)
                                 .set("v_threshold", 0.01)
                                 .set("integrator", std::string("euler")),
                             dt, n);
    cuba_lif_parameters p{.scheme = integrator::euler};
    p.cuba.tau_mem = tau;
    p.threshold.v_threshold = nir::uniform(0.01);
    model_population<cuba_lif> b(cuba_lif(p, dt), n);
    check_same_steps(*a, b, 5);
  }
}

TEST_CASE("registry: names, capabilities and the populations they describe", "[registry]") {
  CHECK(parse_model("alif") == model_kind::alif);
  CHECK(parse_model("cuba_li") == model_kind::cuba_li);
  CHECK_THROWS_AS(parse_model("izhikevich"), parameter_error);
  CHECK_THROWS_WITH(parse_model("izhikevich"), Catch::Contains("network.model") &&
                                                   Catch::Contains("\"rate\", \"rate_ode\"") &&
                                                   Catch::Contains("\"cuba_li\""));
  for (const auto& d : model_registry()) {
    INFO(d.name);
    CHECK(parse_model(d.name) == d.kind);
    CHECK(to_string(d.kind) == d.name);
    const auto pop = make_population(d.kind, {}, 0.5, 6);
    CHECK(pop->model() == d.name);
    CHECK((pop->output() == output_kind::spikes) == d.can.spiking);
    CHECK(pop->event_input() == d.can.event_input);
    CHECK((pop->tangent_dim() > 0) == d.can.jacobian);
    CHECK(pop->continuous_coupling() == d.can.continuous_coupling);
    CHECK((pop->has_weight_factors()) == d.can.floss_local);
    // The tangent hooks are one facet, present exactly with tangent dynamics.
    const population& cpop = *pop;
    CHECK((cpop.tangent() != nullptr) == d.can.jacobian);
    if (cpop.tangent()) CHECK(cpop.tangent()->dim() == pop->tangent_dim());
    CHECK((d.learning != nullptr) == (d.can.eprop || d.can.bptt));
    CHECK(!pop->variables().empty());
  }
  model_population<readout> ro(readout({}, 1.0), 2);
  CHECK(ro.tangent() == nullptr);
  CHECK(ro.tangent_dim() == 0);
  Eigen::MatrixXd q1 = Eigen::MatrixXd::Zero(2, 1);
  CHECK_THROWS_WITH(ro.jacobian_apply(nullptr, q1),
                    "population 'readout' cannot apply its Jacobian without stepping");
  CHECK(describe(model_kind::rate).can.floss_exact);
  CHECK(!describe(model_kind::lif).can.floss_exact);
  CHECK(!describe(model_kind::rate_ode).can.bptt);
}

TEST_CASE("registry: parameter ranges, per-neuron arrays and choices are checked", "[registry]") {
  auto rejects = [](model_kind k, const parameter_values& v, const char* key,
                    const char* expected) {
    try {
      (void)make_population(k, v, 1.0, 4);
      FAIL("accepted");
    } catch (const parameter_error& e) {
      CHECK(e.key() == key);
      CHECK_THAT(e.expected(), Catch::Contains(expected));
    }
  };
  rejects(model_kind::rate, parameter_values{}.set("alpha", 0.0), "neuron.alpha", "(0, 1]");
  rejects(model_kind::rate, parameter_values{}.set("alpha", 1.5), "neuron.alpha", "(0, 1]");
  rejects(model_kind::lif, parameter_values{}.set("tau_m", -1.0), "neuron.tau_m", "> 0");
  rejects(model_kind::lif, parameter_values{}.set("tau_syn", -1.0), "neuron.tau_syn", ">= 0");
  rejects(model_kind::lif, parameter_values{}.set("v_th", NAN), "neuron.v_th", "> 0");
  rejects(model_kind::alif, parameter_values{}.set("n_adaptive", 1.5), "neuron.n_adaptive",
          "an integer >= -1");
  rejects(model_kind::lif, parameter_values{}.set("tau_a", 5.0), "neuron.tau_a", "tau_m");
  rejects(model_kind::lif, parameter_values{}.set("reset", std::string("zero")), "neuron.reset",
          "\"subtract\", \"value\"");
  // Per neuron: NIR parameters take one value per neuron; lif's do not.
  const Eigen::ArrayXd four = Eigen::ArrayXd::Constant(4, 2.0);
  CHECK_NOTHROW(make_population(model_kind::nir_lif, parameter_values{}.set("tau", four), 1.0, 4));
  rejects(model_kind::nir_lif, parameter_values{}.set("tau", Eigen::ArrayXd::Constant(3, 2.0)),
          "neuron.tau", "one per neuron (4)");
  rejects(model_kind::lif, parameter_values{}.set("tau_m", four), "neuron.tau_m", "one value");
  Eigen::ArrayXd bad = four;
  bad[2] = 0.0;
  rejects(model_kind::cuba_lif, parameter_values{}.set("tau_syn", bad), "neuron.tau_syn", "> 0");
  rejects(model_kind::li, parameter_values{}.set("integrator", std::string("rk4")),
          "neuron.integrator", "\"exact\", \"euler\"");
  // The model's own cross-parameter checks still apply.
  CHECK_THROWS_AS(make_population(model_kind::lif, parameter_values{}.set("v_reset", 1.0), 1.0, 4),
                  parameter_error);
}

TEST_CASE("registry: learning constants of the lowered models", "[registry]") {
  const double dt = 1.0;
  const auto lif_c =
      learning_constants_of(model_kind::lif, parameter_values{}.set("tau_m", 20.0), dt, 5);
  REQUIRE(lif_c);
  CHECK(lif_c->alpha == Approx(std::exp(-1.0 / 20.0)).epsilon(1e-15));
  CHECK(lif_c->c_z == Approx(1.0 - std::exp(-1.0 / 20.0)).epsilon(1e-15));
  CHECK(lif_c->v_th == 0.03);
  const auto regular = learning_constants_of(
      model_kind::lif, parameter_values{}.set("regular_spike_arrival", std::string("true")), dt, 5);
  CHECK(regular->c_z == 1.0);
  const auto alif_c = learning_constants_of(
      model_kind::alif, parameter_values{}.set("tau_a", 100.0).set("n_adaptive", 2.0), dt, 5);
  CHECK(alif_c->rho == Approx(std::exp(-0.01)).epsilon(1e-15));
  CHECK(alif_c->beta == (Eigen::VectorXd(5) << 0, 0, 0, 1.8, 1.8).finished());
  const auto rate_c =
      learning_constants_of(model_kind::rate, parameter_values{}.set("alpha", 0.25), dt, 5);
  CHECK(rate_c->alpha == 0.75);
  CHECK(rate_c->c_z == 0.25);
  const auto ode_c =
      learning_constants_of(model_kind::rate_ode, parameter_values{}.set("tau_m", 4.0), dt, 5);
  CHECK(ode_c->alpha == Approx(std::exp(-0.25)).epsilon(1e-15));
  CHECK(!learning_constants_of(model_kind::cuba_lif, {}, dt, 5));
}

TEST_CASE("recordables: every model's variables in their order, set/get, unknown names",
          "[registry][recordables]") {
  const std::size_t n = 3;
  auto vars = [&](auto model) { return model_population<decltype(model)>(model, n).variables(); };
  CHECK(vars(rate({}, 1.0)) == names{"h"});
  CHECK(vars(rate_ode({}, 1.0)) == names{"h"});
  CHECK(vars(lif({}, 1.0)) == names{"v"});
  CHECK(vars(lif({.tau_syn = 2.0}, 1.0)) == names{"v", "i_syn"});
  CHECK(vars(lif({.adaptive = true}, 1.0)) == names{"v", "a"});
  CHECK(vars(lif({.tau_syn = 2.0, .adaptive = true}, 1.0)) == names{"v", "i_syn", "a"});
  CHECK(vars(readout({}, 1.0)) == names{"y"});
  CHECK(vars(nm::loihi_lif({})) == names{"u", "v"});
  CHECK(vars(nm::xylo_iaf({})) == names{"i_syn", "v"});
  CHECK(vars(nm::fixed_lif({})) == names{"v"});
  CHECK(vars(nm::fixed_lif({.alpha_syn = 5})) == names{"v", "i_syn"});
  CHECK(vars(nir_lif({}, 1.0)) == names{"v"});
  CHECK(vars(cuba_lif({}, 1.0)) == names{"v", "i"});
  CHECK(vars(if_neuron({}, 1.0)) == names{"v"});
  CHECK(vars(nir_integrator({}, 1.0)) == names{"v"});
  CHECK(vars(li({}, 1.0)) == names{"v"});
  CHECK(vars(cuba_li({}, 1.0)) == names{"v", "i"});

  const Eigen::Vector3d x(0.01, 0.05, -0.02);
  {  // rate: setting h sets the output phi(h).
    model_population<rate> p(rate({}, 1.0), n);
    p.set_variable("h", x);
    CHECK(p.variable("h") == x);
    CHECK(p.graded() == Eigen::VectorXd(x.array().tanh()));
    CHECK_THROWS_WITH(p.variable("v"), "rate has no state variable 'v'");
    CHECK_THROWS_WITH(p.set_variable("v", x), "rate has no settable variable 'v'");
  }
  {  // lif: setting v derives the spikes and psi; psi is readable, not settable, not listed.
    model_population<lif> p(lif({.v_th = 0.03}, 1.0), n);
    p.set_variable("v", x);
    CHECK(p.variable("v") == x);
    CHECK(std::vector<std::uint32_t>(p.spikes().begin(), p.spikes().end()) ==
          std::vector<std::uint32_t>{1});
    CHECK(p.variable("psi")[0] == Approx(0.3 / 0.03 * (1.0 - 0.02 / 0.03)));
    CHECK_THROWS_WITH(p.set_variable("psi", x), "lif has no settable variable 'psi'");
    CHECK_THROWS_WITH(p.variable("i_syn"), "lif has no state variable 'i_syn'");
    CHECK_THROWS_WITH(p.set_variable("a", x), "lif has no settable variable 'a'");
    model_population<lif> q(lif({.adaptive = true}, 1.0), n);
    q.set_variable("a", x);
    CHECK(q.variable("a") == x);
    CHECK_THROWS_WITH(q.variable("q"), "alif has no state variable 'q'");
  }
  {  // rate_ode (a std::vector state), readout (an Eigen vector), loihi (integers, rounded).
    model_population<rate_ode> o(rate_ode({}, 1.0), n);
    o.set_variable("h", x);
    CHECK(o.variable("h") == x);
    CHECK(o.graded() == Eigen::VectorXd(x.array().tanh()));
    model_population<readout> r(readout({}, 1.0), n);
    r.set_variable("y", x);
    CHECK(r.variable("y") == x);
    CHECK_THROWS_WITH(r.set_variable("h", x), "readout has no settable variable 'h'");
    model_population<nm::loihi_lif> l(nm::loihi_lif({}), n);
    l.set_variable("u", Eigen::Vector3d(1.4, -2.6, 7.0));
    CHECK(l.variable("u") == Eigen::Vector3d(1.0, -3.0, 7.0));
    CHECK_THROWS_WITH(l.variable("i_syn"), "loihi_lif has no state variable 'i_syn'");
    // fixed_lif's i_syn is readable and settable without being recorded (as before).
    model_population<nm::fixed_lif> f(nm::fixed_lif({}), n);
    f.set_variable("i_syn", Eigen::Vector3d(1, 2, 3));
    CHECK(f.variable("i_syn") == Eigen::Vector3d(1, 2, 3));
    CHECK_THROWS_WITH(f.variable("u"), "fixed_lif has no state variable 'u'");
  }
  {  // The models' value-type API reads the same table.
    const rate_ode m({}, 1.0);
    auto s = m.make_state(n);
    m.set_variable(s, "h", x);
    CHECK(m.variable(s, "h") == x);
    CHECK(m.variables() == names{"h"});
    model_population<cuba_li> c(cuba_li({}, 1.0), n);
    c.set_variable("v", x);
    CHECK(c.graded() == x);
  }
}

namespace {
// Whether `word` occurs in text as a whole word (not inside a longer identifier).
bool names_word(const std::string& text, std::string_view word) {
  const std::regex re("(^|[^A-Za-z0-9_])" + std::string(word) + "($|[^A-Za-z0-9_])");
  return std::regex_search(text, re);
}
}  // namespace

TEST_CASE("registry: docs/models.md names every model and its parameters", "[registry]") {
  std::ifstream in(std::string(CHAOSCHIP_DOCS) + "/models.md");
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& d : model_registry()) {
    INFO(d.name);
    CHECK(names_word(text, d.name));
    for (const auto& p : d.parameters) {
      INFO(p.name);
      CHECK(names_word(text, p.name));
    }
  }
}
