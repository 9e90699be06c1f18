#include <H5Cpp.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include "test_support.hpp"

#include "../../io/src/h5.hpp"
#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/run_file.hpp"

namespace fs = std::filesystem;
using namespace chaoschip;
namespace h5 = chaoschip::io::h5;
using Catch::Matchers::Contains;
using chaoschip::test::file_error_message;
using chaoschip::test::scratch_dir;

namespace {

const std::string config_text =
    "seed = 3\n# grüße: UTF-8 must survive\n[network]\nmodel = \"lif\"\nn_in = 3\nn_rec = 4\n"
    "n_out = 2\ngain = 1.5\ndt = 1.0\n";

// Non-symmetric matrices whose elements encode their index, so orientation errors show.
Eigen::MatrixXd indexed(Eigen::Index rows, Eigen::Index cols, double offset) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = offset + 10.0 * double(i) + double(j);
  return m;
}

io::run_data sample_run() {
  io::run_data d;
  d.config_toml = config_text;
  d.initial = io::weight_set{indexed(4, 3, 0.5), indexed(4, 4, 100), indexed(2, 4, 200),
                             indexed(4, 2, 300)};
  d.final = io::weight_set{indexed(4, 3, -0.5), indexed(4, 4, -100), indexed(2, 4, -200), {}};
  d.spikes.push_back({"recurrent", {1.0, 2.0, 2.0, 5.0}, {0, 3, 1, 2}});
  d.spikes.push_back({"input", {}, {}});
  io::state_data v{"recurrent", "v", 3, 4, {}};
  for (int i = 0; i < 12; ++i) v.values.push_back(0.25 * i);
  d.states.push_back(v);
  d.train_loss = {3.0, 2.0, 1.0};
  d.root_attributes = {{"steps", std::int64_t{10}}, {"model", "lif"}, {"dt", 1.0}};
  return d;
}

std::string string_attribute(const H5::H5Object& object, const std::string& name) {
  const H5::Attribute a = object.openAttribute(name);
  const H5::StrType type = a.getStrType();
  CHECK(type.isVariableStr());
  CHECK(type.getCset() == H5T_CSET_UTF8);
  CHECK(a.getSpace().getSimpleExtentType() == H5S_SCALAR);
  std::string value;
  a.read(type, value);
  return value;
}

h5::shape_t shape_of(const H5::DataSet& set) {
  const H5::DataSpace space = set.getSpace();
  h5::shape_t shape(static_cast<std::size_t>(space.getSimpleExtentNdims()));
  if (!shape.empty()) space.getSimpleExtentDims(shape.data());
  return shape;
}

std::vector<double> doubles(const H5::DataSet& set) {
  std::size_t n = 1;
  for (hsize_t d : shape_of(set)) n *= d;
  std::vector<double> v(n);
  if (n) set.read(v.data(), H5::PredType::NATIVE_DOUBLE);
  return v;
}

}  // namespace

TEST_CASE("write_run_file stores every part in the documented layout", "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "run.h5").string();
  const io::run_data data = sample_run();
  io::write_run_file(path, data);
  CHECK(dir.entries() == std::vector<std::string>{"run.h5"});  // no temporary left over

  H5::Exception::dontPrint();
  const H5::H5File f(path, H5F_ACC_RDONLY);
  SECTION("root attributes") {
    CHECK(string_attribute(f, "config") == config_text);
    CHECK_FALSE(string_attribute(f, "chaoschip_version").empty());
    CHECK_FALSE(string_attribute(f, "git_revision").empty());
    CHECK(std::regex_match(string_attribute(f, "created"),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
    const H5::Attribute steps = f.openAttribute("steps");
    CHECK(steps.getDataType() == H5::PredType::NATIVE_INT64);
    std::int64_t n = 0;
    steps.read(H5::PredType::NATIVE_INT64, &n);
    CHECK(n == 10);
    CHECK(f.openAttribute("dt").getDataType() == H5::PredType::NATIVE_DOUBLE);
    CHECK(string_attribute(f, "model") == "lif");
  }
  SECTION("weights are [post, pre] row-major float64") {
    const H5::DataSet w_in = f.openDataSet("network/initial/w_in");
    CHECK(w_in.getDataType() == H5::PredType::NATIVE_DOUBLE);
    REQUIRE(shape_of(w_in) == h5::shape_t{4, 3});
    const auto v = doubles(w_in);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 3; ++j) CHECK(v[i * 3 + j] == data.initial->w_in(i, j));
    CHECK(shape_of(f.openDataSet("network/initial/w_rec")) == h5::shape_t{4, 4});
    CHECK(shape_of(f.openDataSet("network/initial/w_out")) == h5::shape_t{2, 4});
    CHECK(shape_of(f.openDataSet("network/initial/feedback")) == h5::shape_t{4, 2});
    CHECK(doubles(f.openDataSet("network/final/w_out"))[1 * 4 + 3] == data.final->w_out(1, 3));
    CHECK_FALSE(f.nameExists("network/final/feedback"));
  }
  SECTION("SONATA spikes, also when empty") {
    const H5::Group rec = f.openGroup("spikes/recurrent");
    CHECK(string_attribute(rec, "sorting") == "by_time");
    const H5::DataSet ids = rec.openDataSet("node_ids");
    CHECK(ids.getDataType() == H5::PredType::NATIVE_UINT64);
    std::vector<std::uint64_t> id_values(4);
    ids.read(id_values.data(), H5::PredType::NATIVE_UINT64);
    CHECK(id_values == std::vector<std::uint64_t>{0, 3, 1, 2});
    CHECK(doubles(rec.openDataSet("timestamps")) == data.spikes[0].timestamps);
    const H5::Group input = f.openGroup("spikes/input");
    CHECK(string_attribute(input, "sorting") == "by_time");
    CHECK(shape_of(input.openDataSet("timestamps")) == h5::shape_t{0});
    CHECK(shape_of(input.openDataSet("node_ids")) == h5::shape_t{0});
  }
  SECTION("states and training curves") {
    const H5::DataSet v = f.openDataSet("states/recurrent/v");
    CHECK(shape_of(v) == h5::shape_t{3, 4});
    CHECK(doubles(v) == data.states[0].values);
    CHECK(doubles(f.openDataSet("train/loss")) == data.train_loss);
    CHECK_FALSE(f.nameExists("train/accuracy"));  // empty series are not written
    // Small datasets are contiguous.
    CHECK(v.getCreatePlist().getLayout() == H5D_CONTIGUOUS);
  }
  SECTION("reading back through the io API") {
    CHECK(io::read_config_attribute(path) == config_text);
    const io::run_config cfg = io::parse_config(config_text, "test", {});
    const auto initial = io::read_weights(path, "initial", cfg);
    REQUIRE(initial);
    CHECK(initial->w_in == data.initial->w_in);
    CHECK(initial->w_rec == data.initial->w_rec);
    CHECK(initial->w_out == data.initial->w_out);
    CHECK(initial->feedback == data.initial->feedback);
    const auto final_weights = io::read_weights(path, "final", cfg);
    REQUIRE(final_weights);
    CHECK(final_weights->w_rec == data.final->w_rec);
    CHECK(final_weights->feedback.size() == 0);
    CHECK_FALSE(io::read_weights(path, "after_flossing", cfg));
  }
}

TEST_CASE("large recordings are chunked and compressed", "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "big.h5").string();
  io::run_data data;
  data.config_toml = "seed = 1\n";
  io::state_data v{"recurrent", "v", 1000, 100, std::vector<double>(100000)};
  for (std::size_t i = 0; i < v.values.size(); ++i) v.values[i] = std::sin(0.001 * double(i));
  data.states.push_back(v);
  // Out of time order on purpose: the writer sorts so that sorting = "by_time" holds.
  data.spikes.push_back({"recurrent", {3.0, 1.0, 2.0}, {7, 8, 9}});
  io::write_run_file(path, data);

  const H5::H5File f(path, H5F_ACC_RDONLY);
  const H5::DataSet set = f.openDataSet("states/recurrent/v");
  const H5::DSetCreatPropList props = set.getCreatePlist();
  CHECK(props.getLayout() == H5D_CHUNKED);
  bool deflate = false;
  for (int i = 0; i < props.getNfilters(); ++i) {
    unsigned flags = 0, level[1] = {0};
    std::size_t n_values = 1;
    char name[32];
    unsigned config = 0;
    if (props.getFilter(i, flags, n_values, level, sizeof(name), name, config) ==
        H5Z_FILTER_DEFLATE) {
      deflate = true;
      CHECK(level[0] == 4);
    }
  }
  CHECK(deflate);
  CHECK(doubles(set) == v.values);
  CHECK(doubles(f.openDataSet("spikes/recurrent/timestamps")) == std::vector<double>{1, 2, 3});
  std::vector<std::uint64_t> ids(3);
  f.openDataSet("spikes/recurrent/node_ids").read(ids.data(), H5::PredType::NATIVE_UINT64);
  CHECK(ids == std::vector<std::uint64_t>{8, 9, 7});
}

TEST_CASE("a failed write leaves neither the file nor a temporary", "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "run.h5").string();

  SECTION("atomic_file without commit") {
    {
      const auto held = h5::lock();
      h5::atomic_file out(path);
      CHECK(fs::exists(out.temporary()));
      CHECK(fs::path(out.temporary()).filename().string().rfind(".run.h5.tmp.", 0) == 0);
      const double x = 1;
      h5::write_dataset(out.file(), "x", &x, {1});
    }
    CHECK(dir.entries().empty());
  }
  SECTION("write_run_file throwing half-way") {
    io::run_data bad = sample_run();
    bad.spikes[0].node_ids.pop_back();  // lengths differ: rejected after the weights are written
    CHECK_THROWS_AS(io::write_run_file(path, bad), std::invalid_argument);
    CHECK(dir.entries().empty());
  }
  SECTION("an existing file survives a failed overwrite") {
    io::write_run_file(path, sample_run());
    io::run_data bad = sample_run();
    bad.config_toml = "seed = 99\n";
    bad.states[0].values.pop_back();
    CHECK_THROWS_AS(io::write_run_file(path, bad), std::invalid_argument);
    CHECK(dir.entries() == std::vector<std::string>{"run.h5"});
    CHECK(io::read_config_attribute(path) == config_text);
  }
}

TEST_CASE("write_run_file into a missing directory is a file_error", "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "missing" / "run.h5").string();
  const std::string message = file_error_message([&] { io::write_run_file(path, sample_run()); });
  CHECK_THAT(message, Contains(path));
  CHECK_FALSE(fs::exists(dir.path / "missing"));
  CHECK_THAT(file_error_message([&] { io::write_run_file(dir.path.string(), sample_run()); }),
             Contains(dir.path.string()));
}

TEST_CASE("summarize_run_file shows the key numbers", "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "run.h5").string();
  io::write_run_file(path, sample_run());
  const std::string s = io::summarize_run_file(path);
  CAPTURE(s);
  CHECK_THAT(s, Contains("run.h5"));
  CHECK_THAT(s, Contains("model lif") && Contains("n_in 3") && Contains("n_rec 4") &&
                    Contains("n_out 2") && Contains("gain 1.5") && Contains("dt 1 ms"));
  CHECK_THAT(s, Contains("weights (initial)") && Contains("weights (final)"));
  // w_rec(i, j) = 100 + 10 i + j: mean 116.5, max |w| 133.
  CHECK_THAT(s, Contains("mean 116.5") && Contains("max |w| 133"));
  // 4 spikes, 4 of 4 neurons, steps = 10 at dt = 1 ms: 4 / (4 * 0.01 s) = 100 Hz.
  CHECK_THAT(s, Contains("recurrent: 4 spikes from 4 of 4 neurons over 10 ms, mean rate 100 Hz"));
  CHECK_THAT(s, Contains("input: 0 spikes"));
  CHECK_THAT(s, Contains("first 3, last 1, min 1"));
  CHECK_THAT(s, Contains("/network/initial/w_in") && Contains("[4, 3]") && Contains("float64"));
  CHECK_THAT(s, Contains("/spikes/recurrent/node_ids") && Contains("uint64"));

  SECTION("missing and non-HDF5 files") {
    const std::string missing = (dir.path / "nope.h5").string();
    CHECK_THAT(file_error_message([&] { io::summarize_run_file(missing); }),
               Contains(missing) && Contains("not found"));
    const std::string text = (dir.path / "text.h5").string();
    std::ofstream(text) << "not hdf5\n";
    CHECK_THAT(file_error_message([&] { io::summarize_run_file(text); }),
               Contains(text) && Contains("not a readable HDF5 file"));
    CHECK_THAT(file_error_message([&] { io::read_config_attribute(text); }), Contains(text));
  }
  SECTION("any HDF5 file, e.g. a case file") {
    const std::string other = std::string(CHAOSCHIP_TEST_DATA) + "/nest_eprop_regression_case.h5";
    const std::string t = io::summarize_run_file(other);
    CHECK_THAT(t, Contains("(missing)") && Contains("/weights_rec_rec") && Contains("float32"));
    CHECK_THAT(file_error_message([&] { io::read_config_attribute(other); }), Contains("'config'"));
  }
}

namespace {

// Opens a written run file for editing, as a user with h5py would.
template <class F>
void edit(const std::string& path, F&& fn) {
  H5::H5File f(path, H5F_ACC_RDWR);
  fn(f);
}

void replace_matrix(H5::H5File& f, const std::string& name, const H5::PredType& type,
                    hsize_t rows, hsize_t cols, const std::vector<double>& values) {
  if (f.nameExists(name)) f.unlink(name);
  const hsize_t dims[2] = {rows, cols};
  f.createDataSet(name, type, H5::DataSpace(2, dims)).write(values.data(),
                                                           H5::PredType::NATIVE_DOUBLE);
}

void set_string(const H5::H5Object& o, const std::string& name, const std::string& value) {
  if (o.attrExists(name)) o.removeAttr(name);
  const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  o.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
}

void set_number(const H5::H5Object& o, const std::string& name, double value) {
  if (o.attrExists(name)) o.removeAttr(name);
  o.createAttribute(name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_DOUBLE, &value);
}

const std::string loihi_text = config_text + "[chip]\nprofile = \"loihi\"\n";

// sample_run() on the loihi profile: w_in and w_rec as int32 codes with their scale.
io::run_data chip_run() {
  io::run_data d = sample_run();
  d.config_toml = loihi_text;
  io::chip_data chip;
  chip.parameters = {{"vth", Eigen::VectorXd::Constant(1, 300)},
                     {"v_th", Eigen::VectorXd::LinSpaced(4, 10, 13)}};
  chip.sigma = 2.5;
  Eigen::MatrixXd codes_in = indexed(4, 3, -20), codes_rec = indexed(4, 4, -16);
  chip.initial["w_in"] = {codes_in, Eigen::VectorXd::Constant(1, 0.5), {{"weight_exp", 2}}};
  chip.initial["w_rec"] = {codes_rec, Eigen::VectorXd::LinSpaced(4, 1, 4), {{"weight_exp", 1}}};
  chip.final = chip.initial;
  d.chip = chip;
  return d;
}

}  // namespace

TEST_CASE("chip runs store integer parameters as int64, sigma as float64, codes as int32",
          "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "chip.h5").string();
  io::write_run_file(path, chip_run());
  {
    const H5::H5File f(path, H5F_ACC_RDONLY);
    CHECK(f.openDataSet("chip/vth").getDataType() == H5::PredType::NATIVE_INT64);
    CHECK(shape_of(f.openDataSet("chip/v_th")) == h5::shape_t{4});
    CHECK(f.openDataSet("chip/sigma").getDataType() == H5::PredType::NATIVE_DOUBLE);
    CHECK(doubles(f.openDataSet("chip/sigma")) == std::vector<double>{2.5});
    const H5::DataSet w = f.openDataSet("network/initial/w_rec");
    CHECK(w.getDataType() == H5::PredType::NATIVE_INT32);
    CHECK(w.openAttribute("weight_exp").getDataType() == H5::PredType::NATIVE_INT64);
    CHECK(w.openAttribute("scale").getSpace().getSimpleExtentNpoints() == 4);
  }
  // Read back as codes times scale (per row for w_rec), flagged as already on the grid.
  const io::run_config cfg = io::parse_config(loihi_text, "test", {});
  const auto w = io::read_weights(path, "initial", cfg);
  REQUIRE(w);
  CHECK(w->dequantized);
  CHECK(w->w_in == 0.5 * indexed(4, 3, -20));
  CHECK(w->w_rec == Eigen::VectorXd::LinSpaced(4, 1, 4).asDiagonal() * indexed(4, 4, -16));
  // A chip parameter that is not an integer is a bug in the caller, not a file to write.
  io::run_data bad = chip_run();
  bad.chip->parameters["vth"][0] = 1.5;
  CHECK_THROWS_AS(io::write_run_file(path, bad), std::invalid_argument);

  const std::string s = io::summarize_run_file(path);
  CAPTURE(s);
  // info: the codes' range with their scale, and the statistics of the weights they stand
  // for (w_rec row i = (i + 1) * codes), not of the raw codes.
  CHECK_THAT(s, Contains("codes in [-20, 12] x scale 0.5"));
  CHECK_THAT(s, Contains("codes in [-16, 17] x scale per row 1..4"));
  const Eigen::MatrixXd rec = w->w_rec;
  CHECK_THAT(s, Contains(fmt::format("mean {:.4g}", rec.mean())));
  CHECK_THAT(s, Contains(fmt::format("max |w| {:.4g}", rec.cwiseAbs().maxCoeff())));
  CHECK_THAT(s, Contains("chip loihi"));
}

TEST_CASE("read_weights checks every dataset against the config and the layout", "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "run.h5").string();
  const io::run_config cfg = io::parse_config(config_text, "test", {});
  const io::run_config loihi = io::parse_config(loihi_text, "test", {});
  auto message = [&](const io::run_config& c, auto&& change) {
    io::write_run_file(path, c.chip.profile == "loihi" ? chip_run() : sample_run());
    edit(path, change);
    return file_error_message([&] { io::read_weights(path, "initial", c); });
  };
  const auto f64 = H5::PredType::NATIVE_DOUBLE;
  const auto i32 = H5::PredType::NATIVE_INT32;
  SECTION("a shape that does not match the config") {
    CHECK_THAT(message(cfg,
                       [&](H5::H5File& f) {
                         replace_matrix(f, "network/initial/w_rec", f64, 4, 3,
                                        std::vector<double>(12, 0.1));
                       }),
               Contains(path) && Contains("'/network/initial/w_rec' has shape [4, 3], expected "
                                          "[4, 4] (network.n_rec = 4)"));
    // The config says n_rec = 5: the first dataset it disagrees with is named.
    const io::run_config five = io::parse_config(config_text, "test", {"network.n_rec=5"});
    io::write_run_file(path, sample_run());
    CHECK_THAT(file_error_message([&] { io::read_weights(path, "initial", five); }),
               Contains("'/network/initial/w_in' has shape [4, 3], expected [5, 3]") &&
                   Contains("network.n_rec = 5"));
  }
  SECTION("types: float64 only, int32 codes only on chips") {
    CHECK_THAT(message(cfg,
                       [&](H5::H5File& f) {
                         replace_matrix(f, "network/initial/w_out", H5::PredType::NATIVE_FLOAT,
                                        2, 4, std::vector<double>(8, 0.1));
                       }),
               Contains("'/network/initial/w_out' has type float32, expected float64"));
    CHECK_THAT(message(cfg,
                       [&](H5::H5File& f) {
                         replace_matrix(f, "network/initial/w_rec", i32, 4, 4,
                                        std::vector<double>(16, 1));
                       }),
               Contains("'/network/initial/w_rec' has type int32, expected float64 (int32 codes "
                        "only"));
    CHECK_THAT(message(loihi,
                       [&](H5::H5File& f) {
                         replace_matrix(f, "network/initial/w_in", H5::PredType::NATIVE_INT64,
                                        4, 3, std::vector<double>(12, 1));
                       }),
               Contains("'/network/initial/w_in' has type int64, expected float64, or int32"));
  }
  SECTION("non-finite weights") {
    CHECK_THAT(message(cfg,
                       [&](H5::H5File& f) {
                         std::vector<double> v(16, 0.1);
                         v[6] = NAN;
                         replace_matrix(f, "network/initial/w_rec", f64, 4, 4, v);
                       }),
               Contains("'/network/initial/w_rec' holds a non-finite value (nan) at [1, 2]"));
  }
  SECTION("codes: a scale, and within the profile's range") {
    CHECK_THAT(message(loihi,
                       [&](H5::H5File& f) {
                         f.openDataSet("network/initial/w_rec").removeAttr("scale");
                       }),
               Contains("'/network/initial/w_rec' holds int32 codes without their 'scale'"));
    CHECK_THAT(message(loihi,
                       [&](H5::H5File& f) {
                         std::vector<double> v(16, 3);
                         v[5] = 300;
                         replace_matrix(f, "network/initial/w_rec", i32, 4, 4, v);
                         set_number(f.openDataSet("network/initial/w_rec"), "scale", 0.1);
                       }),
               Contains("'/network/initial/w_rec' holds code 300 at [1, 1], outside [-256, 255]"));
    CHECK_THAT(message(loihi,
                       [&](H5::H5File& f) {
                         set_number(f.openDataSet("network/initial/w_in"), "scale", -1.0);
                       }),
               Contains("attribute 'scale' of '/network/initial/w_in' holds -1"));
    CHECK_THAT(message(loihi,
                       [&](H5::H5File& f) {
                         replace_matrix(f, "network/initial/w_in", f64, 4, 3,
                                        std::vector<double>(12, 0.1));
                       }),
               Contains("must both be float64 or both int32 codes"));
    // Symmetric +-(2^(b-1) - 1) on other profiles: 4-bit quantised float64 weights.
    const io::run_config q4 = io::parse_config(
        config_text, "test", {"chip.weight_bits=4", "chip.quantizer=\"per_tensor\""});
    io::write_run_file(path, chip_run());
    CHECK_THAT(file_error_message([&] { io::read_weights(path, "initial", q4); }),
               Contains("'/network/initial/w_in' holds code -20 at [0, 0], outside [-7, 7]") &&
                   Contains("chip.weight_bits = 4"));
  }
}

TEST_CASE("read_state_log checks the trajectory's attributes and shapes", "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "run.h5").string();
  const io::run_config cfg = io::parse_config(config_text, "test", {});
  io::run_data d = sample_run();
  d.states_attributes["recurrent"] = {
      {"trajectory", "run"}, {"t0", std::int64_t{1}}, {"weights", "initial"}};
  auto message = [&](auto&& change) {
    io::write_run_file(path, d);
    edit(path, [&](H5::H5File& f) { change(f.openGroup("states/recurrent")); });
    return file_error_message([&] { io::read_state_log(path, "recurrent", cfg); });
  };
  io::write_run_file(path, d);
  const auto log = io::read_state_log(path, "recurrent", cfg);
  REQUIRE(log);
  CHECK(log->attributes.at("t0") == io::attribute_value(std::int64_t{1}));
  CHECK(log->variables.at(0).second.rows() == 3);

  SECTION("files that stored t0 as a string are still read") {
    edit(path, [](H5::H5File& f) { set_string(f.openGroup("states/recurrent"), "t0", "7"); });
    CHECK(io::read_state_log(path, "recurrent", cfg)->attributes.at("t0") ==
          io::attribute_value(std::int64_t{7}));
  }
  SECTION("bad attributes are named") {
    CHECK_THAT(message([](const H5::Group& g) { set_string(g, "t0", "abc"); }),
               Contains(path) && Contains("attribute 't0' of '/states/recurrent' is \"abc\", "
                                          "expected an integer step >= 0"));
    CHECK_THAT(message([](const H5::Group& g) { set_number(g, "t0", 1.5); }),
               Contains("attribute 't0' of '/states/recurrent' is 1.5"));
    CHECK_THAT(message([](const H5::Group& g) { set_string(g, "weights", "middle"); }),
               Contains("attribute 'weights' of '/states/recurrent' is \"middle\", expected one "
                        "of \"final\", \"initial\""));
    CHECK_THAT(message([](const H5::Group& g) { set_number(g, "trajectory", 1); }),
               Contains("attribute 'trajectory' of '/states/recurrent' is not a string"));
  }
  SECTION("states that do not fit the config") {
    const io::run_config five = io::parse_config(config_text, "test", {"network.n_rec=5"});
    CHECK_THAT(file_error_message([&] { io::read_state_log(path, "recurrent", five); }),
               Contains("'/states/recurrent/v' has shape [3, 4], expected [3, 5]"));
    d.states.push_back({"recurrent", "i_syn", 2, 4, std::vector<double>(8, 0.0)});
    io::write_run_file(path, d);
    CHECK_THAT(file_error_message([&] { io::read_state_log(path, "recurrent", cfg); }),
               Contains("has shape [3, 4], expected [2, 4]"));
  }
}

TEST_CASE("as_integer: numbers as numbers, old strings parsed, nothing else", "[h5]") {
  CHECK(io::as_integer(std::int64_t{-3}) == -3);
  CHECK(io::as_integer(4.0) == 4);
  CHECK_FALSE(io::as_integer(4.5));
  CHECK_FALSE(io::as_integer(NAN));
  CHECK(io::as_integer(std::string("12")) == 12);
  for (const char* bad : {"", "abc", "12abc", " 12", "1e3", "1.0"})
    CHECK_FALSE(io::as_integer(std::string(bad)));
}

TEST_CASE("info: spectra in the order measured, Kaplan-Yorke explained, sweeps summarised",
          "[h5]") {
  scratch_dir dir;
  const std::string path = (dir.path / "run.h5").string();
  io::run_data d = sample_run();
  for (const char* when : {"before", "after"}) {
    io::lyapunov_data l;
    l.exponents = Eigen::VectorXd::Constant(1, when == std::string("before") ? 0.25 : -0.5);
    l.convergence = l.exponents.transpose();
    l.checkpoint_steps = {10};
    l.kaplan_yorke = when == std::string("before") ? NAN : 0.0;
    d.lyapunov.emplace_back(when, l);
  }
  io::write_run_file(path, d);
  const std::string s = io::summarize_run_file(path);
  CAPTURE(s);
  const auto before = s.find("lyapunov before"), after = s.find("lyapunov after");
  REQUIRE(before != std::string::npos);
  REQUIRE(after != std::string::npos);
  CHECK(before < after);
  CHECK_THAT(s, Contains("exponents 0.25 per step; Kaplan-Yorke n/a (k = 1 and lambda_1 >= 0: "
                         "the dimension is >= 1; raise lyapunov.k)"));
  CHECK_THAT(s, Contains("exponents -0.5 per step; Kaplan-Yorke 0,"));
  CHECK(s.find("nan") == std::string::npos);
  CHECK(io::format_kaplan_yorke(2.25, 5) == "2.25");
  CHECK(io::format_kaplan_yorke(NAN, 5) ==
        "n/a (the k = 5 exponents sum to >= 0: the dimension is >= 5; raise lyapunov.k)");

  SECTION("a sweep summary: its table, not the linked point files") {
    const std::string summary = (dir.path / "summary.h5").string();
    {
      H5::H5File f(summary, H5F_ACC_TRUNC);
      h5::write_strings(f, "grid_keys", {"network.gain"});
      const std::vector<double> gains{0.5, 2.0, 0.5};
      h5::write_dataset(f, "network.gain", gains.data(), {3});
      h5::write_strings(f, "status", {"ok", "failed", "ok"});
      h5::write_strings(f, "error", {"", "'network.gain': too large", ""});
      h5::write_strings(f, "file", {"run.h5", "point_0001.h5", "run.h5"});
      const std::vector<double> loss{1.5, NAN, 2.5};
      h5::write_dataset(f, "final_loss", loss.data(), {3});
      const H5::Group points = f.createGroup("points");
      for (const char* link : {"point_0000", "point_0002"})
        H5Lcreate_external("run.h5", "/", points.getId(), link, H5P_DEFAULT, H5P_DEFAULT);
    }
    const std::string t = io::summarize_run_file(summary);
    CAPTURE(t);
    CHECK_THAT(t, Contains("sweep summary: 3 points: 2 ok, 1 failed, 0 missing"));
    CHECK_THAT(t, Contains("grid network.gain (2 values): 0.5, 2"));
    CHECK_THAT(t, Contains("failed: point_0001.h5: 'network.gain': too large"));
    CHECK_THAT(t, Contains("final_loss: 1.5 .. 2.5 over 2 points"));
    CHECK_THAT(t, Contains("/points/*") && Contains("2 external links (not followed)"));
    CHECK(t.find("w_rec") == std::string::npos);  // the linked run file was not walked
  }
}
