#include <H5Cpp.h>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include "test_support.hpp"

#include "../../io/src/h5.hpp"
#include "chaoschip/core/errors.hpp"
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
  d.root_attributes = {{"steps", "10"}, {"model", "lif"}};
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
    CHECK(string_attribute(f, "steps") == "10");
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
    const auto initial = io::read_weights(path, "initial");
    REQUIRE(initial);
    CHECK(initial->w_in == data.initial->w_in);
    CHECK(initial->w_rec == data.initial->w_rec);
    CHECK(initial->w_out == data.initial->w_out);
    CHECK(initial->feedback == data.initial->feedback);
    const auto final_weights = io::read_weights(path, "final");
    REQUIRE(final_weights);
    CHECK(final_weights->w_rec == data.final->w_rec);
    CHECK(final_weights->feedback.size() == 0);
    CHECK_FALSE(io::read_weights(path, "after_flossing"));
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
