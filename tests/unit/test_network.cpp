// Core engine: delays, projections, random streams.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <numeric>

#include "chaoschip/core/network.hpp"
#include "chaoschip/core/random.hpp"
#include "chaoschip/core/recording.hpp"
#include "chaoschip/core/simulator.hpp"
#include "chaoschip/models/sources.hpp"

using namespace chaoschip;

namespace {

// Records the input it receives at every step.
class probe final : public population {
 public:
  explicit probe(std::size_t n) : n_(n) {}
  std::string_view model() const noexcept override { return "probe"; }
  std::size_t size() const noexcept override { return n_; }
  output_kind output() const noexcept override { return output_kind::graded; }
  void reset() override { inputs.clear(); }
  void step(std::int64_t t, const Eigen::Ref<const Eigen::VectorXd>& input) override {
    inputs[t] = input;
    out_ = input;
  }
  const Eigen::VectorXd& graded() const noexcept override { return out_; }
  std::map<std::int64_t, Eigen::VectorXd> inputs;

 private:
  std::size_t n_;
  Eigen::VectorXd out_;
};

}  // namespace

TEST_CASE("a spike sent at step t with delay d arrives at t + d exactly once", "[core]") {
  for (std::uint32_t d : {0u, 1u, 2u, 5u, 15u}) {
    for (std::int64_t t0 : {0, 3, 17}) {
      network net;
      models::spike_pattern_source::pattern pat(40);
      pat[static_cast<std::size_t>(t0)] = {1};
      auto src = net.add("src", std::make_unique<models::spike_pattern_source>(3, pat));
      auto tgt = net.add("tgt", std::make_unique<probe>(2));
      Eigen::MatrixXd w(2, 3);
      w << 0.1, 0.2, 0.3, 0.4, 0.5, 0.6;
      net.connect(src, tgt, std::make_unique<dense_projection>(w), d);
      simulator sim(net);
      sim.run({1.0, 40}, {});
      const auto& in = dynamic_cast<probe&>(net.at(tgt)).inputs;
      int arrivals = 0;
      for (const auto& [t, x] : in) {
        if (x.cwiseAbs().sum() != 0.0) {
          ++arrivals;
          CHECK(t == t0 + static_cast<std::int64_t>(d));
          CHECK(x[0] == 0.2);
          CHECK(x[1] == 0.5);
        }
      }
      CHECK(arrivals == 1);
    }
  }
}

TEST_CASE("delay 0 towards an earlier population is refused", "[core]") {
  network net;
  auto a = net.add("a", std::make_unique<probe>(2));
  auto b = net.add("b", std::make_unique<probe>(2));
  CHECK_THROWS_AS(
      net.connect(b, a, std::make_unique<dense_projection>(Eigen::MatrixXd::Ones(2, 2)), 0), error);
  CHECK_NOTHROW(
      net.connect(a, b, std::make_unique<dense_projection>(Eigen::MatrixXd::Ones(2, 2)), 0));
  CHECK_THROWS_AS(
      net.connect(a, b, std::make_unique<dense_projection>(Eigen::MatrixXd::Ones(3, 2)), 1), error);
}

TEST_CASE("CSR and dense projections give identical input", "[core]") {
  random_stream rng(7, "test");
  const Eigen::Index n_pre = 60, n_post = 45;
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(n_post, n_pre);
  for (Eigen::Index i = 0; i < n_post; ++i)
    for (Eigen::Index j = 0; j < n_pre; ++j)
      if (rng.bernoulli(0.2)) w(i, j) = rng.normal();
  const dense_projection dense(w);
  const auto csr = csr_projection::from_dense(w);
  CHECK(csr.n_synapses() == static_cast<std::size_t>((w.array() != 0.0).count()));
  CHECK(csr.to_dense() == w);

  // Spikes (with a repeated index: two spikes in one step).
  std::vector<std::uint32_t> spikes{3, 7, 7, 59, 0};
  Eigen::VectorXd a = Eigen::VectorXd::Zero(n_post), b = Eigen::VectorXd::Zero(n_post);
  dense.deliver_spikes(spikes, a.data());
  csr.deliver_spikes(spikes, b.data());
  CHECK((a - b).cwiseAbs().maxCoeff() < 1e-15);
  CHECK(a[0] == Approx(w(0, 3) + 2 * w(0, 7) + w(0, 59) + w(0, 0)));

  // Graded input and blocks.
  Eigen::VectorXd x = Eigen::VectorXd::Random(n_pre);
  a.setZero();
  b.setZero();
  dense.deliver_rates(x, a);
  csr.deliver_rates(x, b);
  CHECK((a - b).cwiseAbs().maxCoeff() < 1e-13);
  Eigen::MatrixXd q = Eigen::MatrixXd::Random(n_pre, 4), qa(n_post, 4), qb(n_post, 4);
  dense.apply(q, qa);
  csr.apply(q, qb);
  CHECK((qa - qb).cwiseAbs().maxCoeff() < 1e-13);
  Eigen::MatrixXd p = Eigen::MatrixXd::Random(n_post, 3), pa(n_pre, 3), pb(n_pre, 3);
  dense.apply_transpose(p, pa);
  csr.apply_transpose(p, pb);
  CHECK((pa - pb).cwiseAbs().maxCoeff() < 1e-13);

  // The same network through both gives the same input at every step.
  auto run = [&](std::unique_ptr<projection> proj) {
    network net;
    auto src = net.add("src", std::make_unique<models::poisson_source>(n_pre, 200.0, 1.0,
                                                                       random_stream(3, "drive")));
    auto tgt = net.add("tgt", std::make_unique<probe>(n_post));
    net.connect(src, tgt, std::move(proj), 2);
    simulator(net).run({1.0, 50}, {});
    return dynamic_cast<probe&>(net.at(tgt)).inputs;
  };
  const auto in_dense = run(std::make_unique<dense_projection>(w));
  const auto in_csr = run(std::make_unique<csr_projection>(csr_projection::from_dense(w)));
  double total = 0;
  for (const auto& [t, x1] : in_dense) {
    CHECK((x1 - in_csr.at(t)).cwiseAbs().maxCoeff() < 1e-13);
    total += x1.cwiseAbs().sum();
  }
  CHECK(total > 0.0);
}

TEST_CASE("random streams are reproducible, named and well distributed", "[core]") {
  random_stream a(42, "weights"), b(42, "weights"), c(42, "inputs"), d(43, "weights");
  bool differs_name = false, differs_seed = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    differs_name |= x != c.next();
    differs_seed |= x != d.next();
  }
  CHECK(differs_name);
  CHECK(differs_seed);

  random_stream r(1, "stats");
  const int n = 200000;
  double s = 0, s2 = 0, u = 0, p = 0, pt = 0;
  const poisson_table table(1.6);
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    s += z;
    s2 += z * z;
    u += r.uniform();
    p += static_cast<double>(r.poisson(3.5));
    pt += table(r);
  }
  CHECK(std::abs(s / n) < 0.01);
  CHECK(std::abs(s2 / n - 1.0) < 0.01);
  CHECK(std::abs(u / n - 0.5) < 0.005);
  CHECK(std::abs(p / n - 3.5) < 0.02);
  CHECK(std::abs(pt / n - 1.6) < 0.02);
  double big = 0;
  for (int i = 0; i < 20000; ++i) big += static_cast<double>(r.poisson(40.0));
  CHECK(std::abs(big / 20000 - 40.0) < 0.2);
}

TEST_CASE("recorders collect spikes and states per step", "[core]") {
  network net;
  models::spike_pattern_source::pattern pat{{0, 2}, {}, {1}};
  auto src = net.add("src", std::make_unique<models::spike_pattern_source>(3, pat));
  spike_recorder rec({src});
  std::vector<recorder*> recs{&rec};
  simulator(net).run({1.0, 6}, recs);
  const auto& s = rec.spikes(src);
  CHECK(s.steps == std::vector<std::int64_t>{0, 0, 2, 3, 3, 5});
  CHECK(s.node_ids == std::vector<std::uint64_t>{0, 2, 1, 0, 2, 1});
}
