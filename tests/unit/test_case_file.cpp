#include <H5Cpp.h>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include "test_support.hpp"

#include "../../io/src/h5.hpp"
#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/case_file.hpp"

namespace fs = std::filesystem;
using namespace chaoschip;
namespace h5 = chaoschip::io::h5;
using Catch::Matchers::Contains;
using chaoschip::test::file_error_message;
using chaoschip::test::scratch_dir;

namespace {

const std::string nest_case = std::string(CHAOSCHIP_TEST_DATA) + "/nest_eprop_regression_case.h5";

// Writes a small case file; `tweak` may add, replace or drop datasets.
template <class Tweak>
std::string write_case(const scratch_dir& dir, Tweak&& tweak) {
  const std::string path = (dir.path / "case.h5").string();
  H5::H5File f(path, H5F_ACC_TRUNC);
  tweak(f);
  return path;
}

}  // namespace

TEST_CASE("read_case_weights reads the NEST case file", "[h5]") {
  const io::weight_set w = io::read_case_weights(nest_case, 100, 100, 1);
  CHECK(w.w_in.rows() == 100);
  CHECK(w.w_in.cols() == 100);
  CHECK(w.w_rec.rows() == 100);
  CHECK(w.w_rec.cols() == 100);
  CHECK(w.w_out.rows() == 1);
  CHECK(w.w_out.cols() == 100);
  CHECK(w.feedback.rows() == 100);
  CHECK(w.feedback.cols() == 1);
  // Reference values: h5py's f[name][i, j] (float32) converted to double, exactly.
  CHECK(w.w_in(0, 0) == 0.16243453323841095);
  CHECK(w.w_in(0, 1) == -0.0447128564119339);
  CHECK(w.w_in(1, 0) == -0.0611756406724453);
  CHECK(w.w_rec(3, 7) == -0.018106861039996147);
  CHECK(w.w_out(0, 5) == 0.09699637442827225);
  CHECK(w.feedback(5, 0) == 0.05392234027385712);
  CHECK(w.w_rec.diagonal().isZero());
}

TEST_CASE("read_case_task reads the NEST case file", "[h5]") {
  const auto task = io::read_case_task(nest_case, 100, 1);
  REQUIRE(task.size() == 1);
  const auto& s = task[0];
  CHECK(s.input_spikes.rows() == 1000);
  CHECK(s.input_spikes.cols() == 100);
  CHECK(s.input_spikes.cast<int>().sum() == 5053);
  CHECK(s.input_spikes.row(0).cast<int>().sum() == 0);
  CHECK(s.input_spikes(1, 20) == 1);
  CHECK(s.target.rows() == 1000);
  CHECK(s.target.cols() == 1);
  CHECK(s.target(1, 0) == 0.011049927676518722);
  CHECK(s.learning_window == std::vector<std::uint8_t>(1000, 1));
}

TEST_CASE("read_case_task reads S sequences and a learning window", "[h5]") {
  scratch_dir dir;
  const std::string path = write_case(dir, [](H5::H5File& f) {
    std::vector<std::uint8_t> spikes(2 * 5 * 3, 0);
    spikes[1 * 15 + 4 * 3 + 2] = 1;  // sequence 1, step 4, input 2
    h5::write_dataset(f, "input_spikes", spikes.data(), {2, 5, 3});
    std::vector<float> target(2 * 5 * 2);
    for (std::size_t i = 0; i < target.size(); ++i) target[i] = float(i);
    h5::write_dataset(f, "target", target.data(), {2, 5, 2});
    std::vector<std::int32_t> window(2 * 5, 0);  // any integer width is fine
    window[1 * 5 + 3] = 1;
    h5::write_dataset(f, "learning_window", window.data(), {2, 5});
  });
  const auto task = io::read_case_task(path, 3, 2);
  REQUIRE(task.size() == 2);
  CHECK(task[0].input_spikes.cast<int>().sum() == 0);
  CHECK(task[1].input_spikes(4, 2) == 1);
  CHECK(task[1].input_spikes.cast<int>().sum() == 1);
  CHECK(task[1].target(3, 1) == 10 + 3 * 2 + 1);
  CHECK(task[0].learning_window == std::vector<std::uint8_t>(5, 0));
  CHECK(task[1].learning_window == std::vector<std::uint8_t>{0, 0, 0, 1, 0});

  SECTION("S or T of target must match input_spikes") {
    const std::string bad = write_case(dir, [](H5::H5File& f) {
      std::vector<std::uint8_t> spikes(2 * 5 * 3, 0);
      h5::write_dataset(f, "input_spikes", spikes.data(), {2, 5, 3});
      std::vector<double> target(2 * 4 * 2);
      h5::write_dataset(f, "target", target.data(), {2, 4, 2});
    });
    CHECK_THAT(
        file_error_message([&] { io::read_case_task(bad, 3, 2); }),
        Contains(bad) && Contains("'target'") && Contains("[2, 4, 2]") && Contains("[2, 5, 2]"));
  }
}

TEST_CASE("case file errors name the file and the dataset", "[h5]") {
  scratch_dir dir;

  SECTION("missing file") {
    const std::string path = (dir.path / "absent.h5").string();
    CHECK_THAT(file_error_message([&] { io::read_case_weights(path, 100, 100, 1); }),
               Contains(path) && Contains("not found"));
    CHECK_THAT(file_error_message([&] { io::read_case_task(path, 100, 1); }), Contains(path));
  }
  SECTION("a directory") {
    const std::string path = dir.path.string();
    CHECK_THAT(file_error_message([&] { io::read_case_weights(path, 100, 100, 1); }),
               Contains(path) && Contains("directory"));
  }
  SECTION("truncated file") {
    const std::string path = (dir.path / "truncated.h5").string();
    {
      std::ifstream in(nest_case, std::ios::binary);
      std::vector<char> head(2000);
      in.read(head.data(), std::streamsize(head.size()));
      std::ofstream(path, std::ios::binary).write(head.data(), std::streamsize(head.size()));
    }
    CHECK_THAT(file_error_message([&] { io::read_case_weights(path, 100, 100, 1); }),
               Contains(path) && Contains("not a readable HDF5 file"));
    CHECK_THAT(file_error_message([&] { io::read_case_task(path, 100, 1); }),
               Contains(path) && Contains("not a readable HDF5 file"));
  }
  SECTION("missing dataset") {
    const std::string path = write_case(dir, [](H5::H5File& f) {
      std::vector<double> w(4 * 3);
      h5::write_dataset(f, "weights_in_rec", w.data(), {4, 3});
    });
    CHECK_THAT(file_error_message([&] { io::read_case_weights(path, 3, 4, 1); }),
               Contains(path) && Contains("dataset 'weights_rec_rec' is missing"));
    CHECK_THAT(file_error_message([&] { io::read_case_task(path, 3, 1); }),
               Contains(path) && Contains("dataset 'input_spikes' is missing"));
  }
  SECTION("shape disagreeing with network.n_rec") {
    CHECK_THAT(file_error_message([&] { io::read_case_weights(nest_case, 100, 99, 1); }),
               Contains(nest_case) && Contains("'weights_in_rec'") && Contains("[100, 100]") &&
                   Contains("[99, 100]") && Contains("network.n_rec = 99"));
  }
  SECTION("shape disagreeing with network.n_in") {
    CHECK_THAT(
        file_error_message([&] { io::read_case_weights(nest_case, 99, 100, 1); }),
        Contains(nest_case) && Contains("'weights_in_rec'") && Contains("network.n_in = 99"));
    CHECK_THAT(file_error_message([&] { io::read_case_task(nest_case, 99, 1); }),
               Contains(nest_case) && Contains("'input_spikes'") && Contains("[1000, 99]") &&
                   Contains("network.n_in = 99"));
    CHECK_THAT(file_error_message([&] { io::read_case_task(nest_case, 100, 2); }),
               Contains("'target'") && Contains("network.n_out = 2"));
  }
  SECTION("wrong type class, values and rank") {
    const std::string path = write_case(dir, [](H5::H5File& f) {
      std::vector<std::int32_t> w(2 * 2, 1);
      h5::write_dataset(f, "weights_in_rec", w.data(), {2, 2});
      std::vector<double> spikes(3 * 2, 0);
      h5::write_dataset(f, "input_spikes", spikes.data(), {3, 2});
    });
    CHECK_THAT(file_error_message([&] { io::read_case_weights(path, 2, 2, 1); }),
               Contains("'weights_in_rec'") && Contains("int32"));
    CHECK_THAT(file_error_message([&] { io::read_case_task(path, 2, 1); }),
               Contains("'input_spikes'") && Contains("float64"));

    const std::string values = write_case(dir, [](H5::H5File& f) {
      std::vector<std::uint8_t> spikes(3 * 2, 0);
      spikes[3] = 2;
      h5::write_dataset(f, "input_spikes", spikes.data(), {3, 2});
    });
    CHECK_THAT(file_error_message([&] { io::read_case_task(values, 2, 1); }),
               Contains("'input_spikes'") && Contains("0 and 1") && Contains("[1, 1]"));

    const std::string rank = write_case(dir, [](H5::H5File& f) {
      std::vector<std::uint8_t> spikes(6, 0);
      h5::write_dataset(f, "input_spikes", spikes.data(), {6});
    });
    CHECK_THAT(file_error_message([&] { io::read_case_task(rank, 6, 1); }),
               Contains("'input_spikes'") && Contains("[6]"));
  }
  SECTION("non-finite weights") {
    const std::string path = write_case(dir, [](H5::H5File& f) {
      std::vector<double> w(2 * 2, 0.0);
      w[2] = std::numeric_limits<double>::quiet_NaN();
      h5::write_dataset(f, "weights_in_rec", w.data(), {2, 2});
    });
    CHECK_THAT(file_error_message([&] { io::read_case_weights(path, 2, 2, 1); }),
               Contains("'weights_in_rec'") && Contains("non-finite") && Contains("[1, 0]"));
  }
}
