// NIR graphs: the reference files of NIR's repository import with the node types, shapes
// and values the files hold (read here independently, straight from HDF5), flat and
// subgraph versions flatten to the same graph, and read -> write -> read keeps every bit.
#include <H5Cpp.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/nir.hpp"
#include "test_support.hpp"

using namespace chaoschip;
using chaoschip::io::nir_type;
namespace fs = std::filesystem;

namespace {

const fs::path data_dir = fs::path(CHAOSCHIP_TEST_DATA) / "nir";

const io::nir_node& node_named(const io::nir_graph& g, const std::string& name) {
  for (const auto& n : g.nodes)
    if (n.name == name) return n;
  FAIL("no node " << name);
  throw std::logic_error("unreachable");
}

// Every element equal bit for bit (NaN-free data: == on doubles, plus the sign of zero).
bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  return std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

bool same_node(const io::nir_node& a, const io::nir_node& b) {
  if (a.type != b.type || a.shape != b.shape || a.metadata != b.metadata) return false;
  if (a.params.size() != b.params.size()) return false;
  for (const auto& [name, m] : a.params) {
    const auto it = b.params.find(name);
    if (it == b.params.end() || !same_bits(m, it->second)) return false;
  }
  return true;
}

// The graphs are identical: nodes in order, edges in order, metadata.
void require_identical(const io::nir_graph& a, const io::nir_graph& b) {
  REQUIRE(a.nodes.size() == b.nodes.size());
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    INFO(a.nodes[i].name);
    CHECK(a.nodes[i].name == b.nodes[i].name);
    CHECK(same_node(a.nodes[i], b.nodes[i]));
  }
  REQUIRE(a.edges.size() == b.edges.size());
  for (std::size_t i = 0; i < a.edges.size(); ++i) {
    CHECK(a.edges[i].source == b.edges[i].source);
    CHECK(a.edges[i].target == b.edges[i].target);
  }
  CHECK(a.metadata == b.metadata);
}

// A parameter as the file stores it, read with the plain HDF5 API (not chaoschip's reader):
// row-major values converted to double by HDF5, and the dataset's shape.
std::pair<std::vector<double>, std::vector<hsize_t>> stored(const fs::path& file,
                                                            const std::string& dataset) {
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  H5::DataSet set = f.openDataSet(dataset);
  H5::DataSpace space = set.getSpace();
  std::vector<hsize_t> shape(static_cast<std::size_t>(space.getSimpleExtentNdims()));
  if (!shape.empty()) space.getSimpleExtentDims(shape.data());
  std::vector<double> values(static_cast<std::size_t>(space.getSimpleExtentNpoints()));
  set.read(values.data(), H5::PredType::NATIVE_DOUBLE);
  return {values, shape};
}

// Every parameter of every node of a flat file equals what the file holds, element by
// element ([out, in] weights in row-major order), and has the file's shape.
void require_file_values(const fs::path& file, const io::nir_graph& g) {
  for (const auto& node : g.nodes) {
    if (node.type == nir_type::input || node.type == nir_type::output) continue;
    for (const auto& [name, m] : node.params) {
      const std::string dataset = "node/nodes/" + node.name + "/" + name;
      H5::H5File f(file.string(), H5F_ACC_RDONLY);
      if (!f.nameExists(dataset)) continue;  // an optional parameter NIR's default filled
      const auto [values, shape] = stored(file, dataset);
      INFO(dataset);
      if (name == "weight") {
        REQUIRE(shape == std::vector<hsize_t>{static_cast<hsize_t>(m.rows()),
                                              static_cast<hsize_t>(m.cols())});
        for (Eigen::Index r = 0; r < m.rows(); ++r)
          for (Eigen::Index c = 0; c < m.cols(); ++c)
            REQUIRE(m(r, c) == values[static_cast<std::size_t>(r * m.cols() + c)]);
      } else {
        REQUIRE(shape == std::vector<hsize_t>{static_cast<hsize_t>(m.rows())});
        for (Eigen::Index r = 0; r < m.rows(); ++r)
          REQUIRE(m(r, 0) == values[static_cast<std::size_t>(r)]);
      }
    }
  }
}

std::multiset<std::pair<std::string, std::string>> edge_set(
    const io::nir_graph& g, const std::map<std::string, std::string>& rename = {}) {
  auto name = [&](const std::string& n) {
    const auto it = rename.find(n);
    return it == rename.end() ? n : it->second;
  };
  std::multiset<std::pair<std::string, std::string>> s;
  for (const auto& e : g.edges) s.emplace(name(e.source), name(e.target));
  return s;
}

struct expected_node {
  std::string name;
  nir_type type;
  std::size_t in, out;
};

void require_nodes(const io::nir_graph& g, const std::vector<expected_node>& expected) {
  REQUIRE(g.nodes.size() == expected.size());
  for (const auto& e : expected) {
    INFO(e.name);
    const auto& n = node_named(g, e.name);
    CHECK(n.type == e.type);
    CHECK(io::nir_input_size(n) == e.in);
    CHECK(io::nir_size(n) == e.out);
  }
}

}  // namespace

TEST_CASE("NIR type names come from one table and round-trip", "[nir]") {
  CHECK(io::nir_types().size() == 13);
  for (nir_type t : io::nir_types()) CHECK(io::nir_type_from_string(io::to_string(t)) == t);
  CHECK(io::to_string(nir_type::cuba_lif) == "CubaLIF");
  CHECK(io::to_string(nir_type::if_) == "IF");
  CHECK_FALSE(io::nir_type_from_string("Conv2d"));
  CHECK_FALSE(io::nir_type_from_string("lif"));  // NIR's names are case-sensitive
}

TEST_CASE("the braille graphs import with their node types, shapes and values", "[nir]") {
  // Sizes as h5py shows them: 12 taxels, 38 (bias_zero) or 40 (noBias_subtract) recurrent
  // CubaLIF neurons with a recurrent Affine / Linear, 7 CubaLIF outputs.
  for (const auto& [file, hidden, weights] :
       {std::tuple{"braille_noDelay_bias_zero.nir", std::size_t{38}, nir_type::affine},
        std::tuple{"braille_noDelay_noBias_subtract.nir", std::size_t{40}, nir_type::linear}}) {
    INFO(file);
    const auto g = io::read_nir(data_dir / file);
    CHECK(g.version == "0.2.0");
    CHECK(g.notes.empty());
    require_nodes(g, {{"input", nir_type::input, 12, 12},
                      {"fc1", weights, 12, hidden},
                      {"lif1.lif", nir_type::cuba_lif, hidden, hidden},
                      {"lif1.w_rec", weights, hidden, hidden},
                      {"fc2", weights, hidden, 7},
                      {"lif2", nir_type::cuba_lif, 7, 7},
                      {"output", nir_type::output, 7, 7}});
    CHECK(edge_set(g) ==
          std::multiset<std::pair<std::string, std::string>>{{"input", "fc1"},
                                                             {"fc1", "lif1.lif"},
                                                             {"lif1.lif", "lif1.w_rec"},
                                                             {"lif1.w_rec", "lif1.lif"},
                                                             {"lif1.lif", "fc2"},
                                                             {"fc2", "lif2"},
                                                             {"lif2", "output"}});
    require_file_values(data_dir / file, g);
    // The files carry no v_reset: NIR's default, 0, for every neuron.
    CHECK(node_named(g, "lif2").params.at("v_reset") == Eigen::VectorXd::Zero(7));
    // Exactly one edge closes a cycle: the recurrent weights back into the layer.
    const auto recurrent = io::nir_recurrent_edges(g);
    std::vector<std::pair<std::string, std::string>> back;
    for (std::size_t e = 0; e < g.edges.size(); ++e)
      if (recurrent[e]) back.emplace_back(g.edges[e].source, g.edges[e].target);
    CHECK(back == std::vector<std::pair<std::string, std::string>>{{"lif1.w_rec", "lif1.lif"}});
  }
}

TEST_CASE("the LIF graphs of NIR's paper import with their values", "[nir]") {
  const auto norse = io::read_nir(data_dir / "lif_norse.nir");
  CHECK(norse.version == "0.1.1");
  require_nodes(norse, {{"input", nir_type::input, 1, 1},
                        {"0", nir_type::affine, 1, 1},
                        {"1", nir_type::lif, 1, 1},
                        {"output", nir_type::output, 1, 1}});
  require_file_values(data_dir / "lif_norse.nir", norse);
  // float32 in the file: the double is the float's exact value, not the decimal 0.0025.
  CHECK(node_named(norse, "1").params.at("tau")(0) == static_cast<double>(0.0025f));
  CHECK(node_named(norse, "1").params.at("v_threshold")(0) == static_cast<double>(0.1f));

  const auto two = io::read_nir(data_dir / "two_lif_neurons.nir");
  require_nodes(two, {{"in", nir_type::input, 1, 1},
                      {"linear1", nir_type::linear, 1, 1},
                      {"lif1", nir_type::lif, 1, 1},
                      {"linear2", nir_type::linear, 1, 1},
                      {"lif2", nir_type::lif, 1, 1},
                      {"out", nir_type::output, 1, 1}});
  require_file_values(data_dir / "two_lif_neurons.nir", two);
  CHECK(node_named(two, "lif1").params.at("v_leak")(0) == 1.2);
  CHECK(node_named(two, "lif2").params.at("v_threshold")(0) == 20.0);
  CHECK(edge_set(two).size() == 5);
  const auto recurrent = io::nir_recurrent_edges(two);
  CHECK(std::count(recurrent.begin(), recurrent.end(), true) == 0);
}

TEST_CASE("flat and subgraph braille files flatten to the same graph", "[nir]") {
  // The subgraph files name the layer `lif1` and its weights `lin` inside subgraph `lif1`.
  const std::map<std::string, std::string> rename = {{"lif1.lif1", "lif1.lif"},
                                                     {"lif1.lin", "lif1.w_rec"}};
  for (const std::string stem : {"braille_noDelay_bias_zero", "braille_noDelay_noBias_subtract"}) {
    INFO(stem);
    const auto flat = io::read_nir(data_dir / (stem + ".nir"));
    const auto sub = io::read_nir(data_dir / (stem + "_subgraph.nir"));
    REQUIRE(sub.nodes.size() == flat.nodes.size());
    for (const auto& n : sub.nodes) {
      const auto it = rename.find(n.name);
      const std::string flat_name = it == rename.end() ? n.name : it->second;
      INFO(n.name);
      CHECK(same_node(n, node_named(flat, flat_name)));
    }
    CHECK(edge_set(sub, rename) == edge_set(flat));
    // The inner edges name `lif`, a node the subgraph does not have: repaired, and said.
    REQUIRE(sub.notes.size() == 1);
    CHECK_THAT(sub.notes[0], Catch::Contains("'lif'") && Catch::Contains("'lif1'"));
  }
}

TEST_CASE("read -> write -> read keeps every NIR file bit for bit", "[nir]") {
  test::scratch_dir dir;
  for (const auto& entry : fs::directory_iterator(data_dir)) {
    if (entry.path().extension() != ".nir") continue;
    INFO(entry.path().filename());
    const auto first = io::read_nir(entry.path());
    const fs::path copy = dir.path / entry.path().filename();
    io::write_nir(copy, first);
    const auto second = io::read_nir(copy);
    CHECK(second.version == io::nir_write_version);
    CHECK(second.notes.empty());
    require_identical(first, second);
    io::write_nir(copy, second);  // over its own earlier output: allowed
    require_identical(first, io::read_nir(copy));
  }
  CHECK(dir.entries().size() == 6);  // no temporary left behind
}

namespace {

// One node of every type on one path, random parameters (all 64 bits significant),
// metadata on the graph and a node.
io::nir_graph every_type_graph() {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  auto vec = [&](Eigen::Index n, bool positive = false) {
    Eigen::VectorXd v(n);
    for (Eigen::Index i = 0; i < n; ++i) v(i) = positive ? std::exp(normal(rng)) : normal(rng);
    return Eigen::MatrixXd(v);
  };
  auto mat = [&](Eigen::Index r, Eigen::Index c) {
    Eigen::MatrixXd m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
    return m;
  };
  const Eigen::Index n = 4;
  io::nir_graph g;
  g.metadata = {{"source", "chaoschip unit test"}, {"dt", "0.001"}};
  auto add = [&](std::string name, nir_type type, std::map<std::string, Eigen::MatrixXd> params,
                 std::vector<std::int64_t> shape = {}) {
    g.nodes.push_back({std::move(name), type, std::move(params), std::move(shape), {}});
  };
  // Deliberately not in name order: the order must survive.
  add("x_in", nir_type::input, {}, {3});
  add("w_in", nir_type::affine, {{"weight", mat(n, 3)}, {"bias", vec(n)}});
  add("cuba", nir_type::cuba_lif,
      {{"tau_syn", vec(n, true)},
       {"tau_mem", vec(n, true)},
       {"r", vec(n)},
       {"v_leak", vec(n)},
       {"v_threshold", vec(n)},
       {"v_reset", vec(n)},
       {"w_in", vec(n)}});
  g.nodes.back().metadata = {{"chip.profile", "loihi"}};
  add("w_rec", nir_type::linear, {{"weight", mat(n, n)}});
  add("scale", nir_type::scale, {{"scale", vec(n)}});
  add("delay", nir_type::delay, {{"delay", vec(n, true)}});
  add("lif", nir_type::lif,
      {{"tau", vec(n, true)},
       {"r", vec(n)},
       {"v_leak", vec(n)},
       {"v_threshold", vec(n)},
       {"v_reset", vec(n)}});
  add("thr", nir_type::threshold, {{"threshold", vec(n)}});
  add("li", nir_type::li, {{"tau", vec(n, true)}, {"r", vec(n)}, {"v_leak", vec(n)}});
  add("cuba_li", nir_type::cuba_li,
      {{"tau_syn", vec(n, true)},
       {"tau_mem", vec(n, true)},
       {"r", vec(n)},
       {"v_leak", vec(n)},
       {"w_in", vec(n)}});
  add("if", nir_type::if_, {{"r", vec(n)}, {"v_threshold", vec(n)}, {"v_reset", vec(n)}});
  add("i", nir_type::i, {{"r", vec(n)}});
  add("a_out", nir_type::output, {}, {n});
  const std::vector<std::string> chain = {"x_in", "w_in", "cuba",    "scale", "delay", "lif",
                                          "thr",  "li",   "cuba_li", "if",    "i",     "a_out"};
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) g.edges.push_back({chain[i], chain[i + 1]});
  g.edges.push_back({"cuba", "w_rec"});
  g.edges.push_back({"w_rec", "cuba"});
  return g;
}

}  // namespace

TEST_CASE("a graph built in code is written and read back identical", "[nir]") {
  test::scratch_dir dir;
  const auto g = every_type_graph();
  io::validate_nir(g);
  const fs::path file = dir.path / "every_type.nir";
  io::write_nir(file, g);
  const auto back = io::read_nir(file);
  CHECK(back.version == "1.0.0");
  require_identical(g, back);
  // The file's values, read without chaoschip: float64 and the same bits.
  require_file_values(file, back);
  const auto [tau, shape] = stored(file, "node/nodes/lif/tau");
  CHECK(std::memcmp(tau.data(), node_named(g, "lif").params.at("tau").data(), 4 * sizeof(double)) ==
        0);

  // NIR's layout and types (nir/serialization.py): strings variable-length UTF-8 (h5py's
  // string_dtype), a scalar root `version`, edges [E, 2], parameters float64, shapes int64.
  H5::H5File f(file.string(), H5F_ACC_RDONLY);
  auto is_utf8_string = [&](const std::string& name, std::vector<hsize_t> expected_shape) {
    const H5::DataSet set = f.openDataSet(name);
    const H5::DataSpace space = set.getSpace();
    std::vector<hsize_t> shape(static_cast<std::size_t>(space.getSimpleExtentNdims()));
    if (!shape.empty()) space.getSimpleExtentDims(shape.data());
    const H5::StrType type = set.getStrType();
    return set.getTypeClass() == H5T_STRING && type.isVariableStr() &&
           type.getCset() == H5T_CSET_UTF8 && shape == expected_shape;
  };
  CHECK(is_utf8_string("version", {}));
  CHECK(is_utf8_string("node/type", {}));
  CHECK(is_utf8_string("node/nodes/cuba/type", {}));
  CHECK(is_utf8_string("node/edges", {g.edges.size(), 2}));
  CHECK(is_utf8_string("node/metadata/source", {}));
  CHECK(is_utf8_string("node/nodes/cuba/metadata/chip.profile", {}));
  CHECK(f.openDataSet("node/nodes/w_in/weight").getDataType() == H5::PredType::IEEE_F64LE);
  CHECK(f.openDataSet("node/nodes/x_in/shape").getDataType() == H5::PredType::STD_I64LE);
}

TEST_CASE("graphs that break a rule are refused naming the node", "[nir]") {
  auto message = [](const io::nir_graph& g) -> std::string {
    try {
      io::validate_nir(g);
    } catch (const input_error& e) {
      return e.what();
    }
    return "no error";
  };
  auto base = every_type_graph();
  auto find = [](io::nir_graph& g, const std::string& name) -> io::nir_node& {
    for (auto& n : g.nodes)
      if (n.name == name) return n;
    throw std::logic_error(name);
  };
  using Catch::Contains;
  {
    auto g = base;
    g.nodes.clear();
    g.edges.clear();
    CHECK_THAT(message(g), Contains("no nodes"));
  }
  {
    auto g = base;
    g.edges.push_back({"lif", "ghost"});
    CHECK_THAT(message(g), Contains("'lif' -> 'ghost'") && Contains("no node 'ghost'"));
  }
  {
    auto g = base;
    find(g, "lif").params.at("tau")(2) = std::nan("");
    CHECK_THAT(message(g),
               Contains("node 'lif' (LIF)") && Contains("'tau'") && Contains("nan at [2]"));
  }
  {
    auto g = base;
    find(g, "cuba").params.at("tau_syn")(1) = 0;
    CHECK_THAT(message(g),
               Contains("node 'cuba' (CubaLIF)") && Contains("'tau_syn'") && Contains("> 0"));
  }
  {
    auto g = base;
    find(g, "li").params.at("tau")(0) = -1e-3;
    CHECK_THAT(message(g), Contains("node 'li' (LI)") && Contains("> 0"));
  }
  {
    auto g = base;
    find(g, "w_in").params.at("weight") = Eigen::MatrixXd::Zero(4, 2);  // input gives 3
    CHECK_THAT(message(g),
               Contains("'x_in' -> 'w_in'") && Contains("emits 3") && Contains("takes 2"));
  }
  {
    auto g = base;
    find(g, "lif").params.erase("v_threshold");
    CHECK_THAT(message(g), Contains("node 'lif' (LIF)") && Contains("'v_threshold' is missing"));
  }
  {
    auto g = base;
    find(g, "lif").params.at("r") = Eigen::VectorXd::Ones(3);
    CHECK_THAT(message(g), Contains("node 'lif' (LIF)") && Contains("'r' has length 3") &&
                               Contains("'tau' has length 4"));
  }
  {
    auto g = base;
    g.edges.push_back({"lif", "delay"});  // delay -> lif -> delay: no weights on it
    CHECK_THAT(message(g), Contains("cycle") && Contains("'delay'") && Contains("'lif'") &&
                               Contains("no Affine or Linear"));
  }
  {
    auto g = base;
    g.edges.push_back({"thr", "thr"});
    CHECK_THAT(message(g), Contains("cycle 'thr' -> 'thr'"));
  }
  {
    auto g = base;
    g.nodes.push_back(g.nodes[2]);
    CHECK_THAT(message(g), Contains("two nodes are named 'cuba'"));
  }
  {
    auto g = base;
    find(g, "w_in").params["foo"] = Eigen::VectorXd::Ones(4);
    CHECK_THAT(message(g), Contains("'foo' is not a parameter of Affine"));
  }
  {
    auto g = base;
    find(g, "x_in").shape = {0};
    CHECK_THAT(message(g), Contains("node 'x_in' (Input)") && Contains("dimension < 1"));
  }
  CHECK(message(base) == "no error");
}

TEST_CASE("writing a NIR graph is atomic and never replaces an input", "[nir]") {
  test::scratch_dir dir;
  const auto g = every_type_graph();
  const fs::path input = dir.path / "in.nir";
  io::write_nir(input, g);
  const auto before = fs::file_size(input);
  CHECK_THAT(test::file_error_message([&] { io::write_nir(input, g, {input.string()}, "export"); }),
             Catch::Contains("never writes over its input"));
  CHECK(fs::file_size(input) == before);
  // A directory as the target: refused, nothing left behind.
  fs::create_directory(dir.path / "sub");
  CHECK_THROWS_AS(io::write_nir(dir.path / "sub", g), file_error);
  // An invalid graph is not written at all.
  auto bad = g;
  bad.edges.push_back({"a_out", "nowhere"});
  CHECK_THROWS_AS(io::write_nir(dir.path / "bad.nir", bad), input_error);
  auto entries = dir.entries();
  std::sort(entries.begin(), entries.end());
  CHECK(entries == std::vector<std::string>{"in.nir", "sub"});
}

TEST_CASE("NIR files are told from run files", "[nir]") {
  CHECK(io::is_nir_file(data_dir / "lif_norse.nir"));
  CHECK(io::is_nir_file("missing.NIR"));
  CHECK_FALSE(io::is_nir_file(fs::path(CHAOSCHIP_TEST_DATA) / "nest_eprop_regression_case.h5"));
  CHECK_FALSE(io::is_nir_file(data_dir / "lif_norse_trace.csv"));
  // A NIR graph under another extension is found by its root `node` group.
  test::scratch_dir dir;
  fs::copy_file(data_dir / "two_lif_neurons.nir", dir.path / "graph.h5");
  CHECK(io::is_nir_file(dir.path / "graph.h5"));
}
