#include "chaoschip/io/sweep_summary.hpp"

#include <H5Lpublic.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/paths.hpp"
#include "h5.hpp"

namespace chaoschip::io {

namespace fs = std::filesystem;

// Through write(2) rather than a stream, so a full disk is reported (and the temporary
// file removed) instead of a short file being renamed into place.
void write_text_atomically(const fs::path& path, const std::string& text) {
  check_output_file(path.string());
  const std::string tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());  // left by a killed run, or something that is not ours to open
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  int failure = fd < 0 ? errno : 0;
  for (std::size_t done = 0; !failure && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n >= 0)
      done += static_cast<std::size_t>(n);
    else if (errno != EINTR)
      failure = errno;
  }
  if (fd >= 0 && ::close(fd) != 0 && !failure) failure = errno;
  if (!failure && ::rename(tmp.c_str(), path.c_str()) != 0) failure = errno;
  if (!failure) return;
  ::unlink(tmp.c_str());
  throw file_error(path.string(), "cannot write: " + describe_write_error(failure));
}

// The files a sweep reads for its base config: the config and what it names.
std::vector<std::string> sweep_inputs(const sweep_spec& spec, const run_config& cfg) {
  std::vector<std::string> inputs = config_inputs(cfg);
  inputs.push_back(spec.config);
  return inputs;
}

namespace {

struct summary_row {
  std::string status = "missing";  // ok | failed | missing (not run yet)
  std::string error;
  int code = 1;
  double final_loss = std::numeric_limits<double>::quiet_NaN();
  double final_accuracy = std::numeric_limits<double>::quiet_NaN();
  double lambda_before = std::numeric_limits<double>::quiet_NaN();
  double lambda_after = std::numeric_limits<double>::quiet_NaN();
};

double last_value(const H5::H5File& f, const std::string& path, const std::string& name) {
  if (!h5::exists(f, name)) return std::numeric_limits<double>::quiet_NaN();
  const auto a = h5::read_dataset<double>(f, path, name, {H5T_FLOAT});
  return a.values.empty() ? std::numeric_limits<double>::quiet_NaN() : a.values.back();
}

double first_value(const H5::H5File& f, const std::string& path, const std::string& name) {
  if (!h5::exists(f, name)) return std::numeric_limits<double>::quiet_NaN();
  const auto a = h5::read_dataset<double>(f, path, name, {H5T_FLOAT});
  return a.values.empty() ? std::numeric_limits<double>::quiet_NaN() : a.values.front();
}

summary_row read_row(const fs::path& dir, const sweep_point& p) {
  summary_row row;
  const fs::path file = dir / p.file;
  const fs::path note = file.string() + ".failed";
  // A note means the last attempt failed (the file left in place is then an input).
  if (fs::exists(file) && !fs::exists(note)) {
    const auto held = h5::lock();
    const H5::H5File f = h5::open_read(file.string());
    h5::guard(file.string(), h5::reading, [&] {
      row.final_loss = last_value(f, file.string(), "train/loss");
      row.final_accuracy = last_value(f, file.string(), "train/accuracy");
      row.lambda_before = first_value(f, file.string(), "lyapunov/before/exponents");
      row.lambda_after = first_value(f, file.string(), "lyapunov/after/exponents");
    });
    row.status = "ok";
  } else if (fs::exists(note)) {
    std::ifstream in(note);
    std::string code;
    std::getline(in, code);
    std::getline(in, row.error);
    row.code = std::atoi(code.c_str());
    row.status = "failed";
  }
  return row;
}

// A grid value as the summary shows it: TOML strings without their quotes.
std::string display_value(const std::string& v) {
  try {
    const toml::table t = toml::parse("x = " + v);
    if (const auto* str = t["x"].as_string()) return str->get();
  } catch (const toml::parse_error&) {
  }
  const auto first = v.find_first_not_of(" \t"), last = v.find_last_not_of(" \t");
  return first == std::string::npos ? std::string() : v.substr(first, last - first + 1);
}

bool numeric(const std::string& v, double& out) {
  const char* begin = v.c_str();
  char* end = nullptr;
  out = std::strtod(begin, &end);
  return end != begin && *end == '\0';
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string csv_number(double v) {
  return std::isnan(v) ? std::string() : fmt::format("{:.17g}", v);
}

}  // namespace

sweep_outcome write_summary(const sweep_spec& spec, const std::vector<sweep_point>& points) {
  const fs::path dir(spec.dir);
  const run_config base = load_config(spec.config, spec.overrides);
  for (const char* name : {"summary.csv", "summary.h5"})
    check_not_an_input((dir / name).string(), sweep_inputs(spec, base), "sweep");
  std::vector<summary_row> rows;
  rows.reserve(points.size());
  for (const auto& p : points) rows.push_back(read_row(dir, p));
  const std::size_t n = points.size();
  sweep_outcome outcome;
  bool input = false, numerical = false;
  for (const auto& r : rows) {
    if (r.status == "ok") continue;
    ++outcome.failed;
    input = input || r.code == 2;
    numerical = numerical || r.code == 3;
  }
  if (outcome.failed > 0) outcome.exit_code = input ? 2 : numerical ? 3 : 1;

  // summary.csv
  std::ostringstream csv;
  // A grid over `seed` is the seed column itself.
  auto shown = [&](std::size_t a) { return spec.grid[a].key != "seed"; };
  for (std::size_t a = 0; a < spec.grid.size(); ++a)
    if (shown(a)) csv << csv_field(spec.grid[a].key) << ",";
  csv << "seed,status,final_loss,final_accuracy,lambda_max_before,lambda_max_after,file,error\n";
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t a = 0; a < spec.grid.size(); ++a)
      if (shown(a)) csv << csv_field(display_value(points[i].values[a])) << ",";
    const auto& r = rows[i];
    csv << points[i].seed << "," << r.status << "," << csv_number(r.final_loss) << ","
        << csv_number(r.final_accuracy) << "," << csv_number(r.lambda_before) << ","
        << csv_number(r.lambda_after) << "," << points[i].file << "," << csv_field(r.error) << "\n";
  }
  write_text_atomically(dir / "summary.csv", csv.str());

  // summary.h5: one dataset per column, external links to the point files.
  const auto held = h5::lock();
  const std::string path = (dir / "summary.h5").string();
  h5::atomic_file out(path);
  h5::guard(path, h5::writing, [&] {
    const H5::H5File& f = out.file();
    h5::write_provenance(f, to_toml(base));
    std::vector<std::string> keys;
    for (std::size_t a = 0; a < spec.grid.size(); ++a) {
      const auto& axis = spec.grid[a];
      if (!shown(a)) continue;
      keys.push_back(axis.key);
      std::vector<double> nums(n);
      bool all_numeric = true;
      for (std::size_t i = 0; i < n; ++i)
        all_numeric = all_numeric && numeric(display_value(points[i].values[a]), nums[i]);
      if (all_numeric) {
        h5::write_dataset(f, axis.key, nums.data(), {n});
      } else {
        std::vector<std::string> text;
        for (const auto& p : points) text.push_back(display_value(p.values[a]));
        h5::write_strings(f, axis.key, text);
      }
    }
    h5::write_strings(f, "grid_keys", keys);
    std::vector<std::int64_t> seeds;
    std::vector<std::string> status, errors, files;
    std::vector<double> loss, acc, before, after;
    for (std::size_t i = 0; i < n; ++i) {
      seeds.push_back(points[i].seed);
      status.push_back(rows[i].status);
      errors.push_back(rows[i].error);
      files.push_back(points[i].file);
      loss.push_back(rows[i].final_loss);
      acc.push_back(rows[i].final_accuracy);
      before.push_back(rows[i].lambda_before);
      after.push_back(rows[i].lambda_after);
    }
    h5::write_dataset(f, "seed", seeds.data(), {n});
    h5::write_strings(f, "status", status);
    h5::write_strings(f, "error", errors);
    h5::write_strings(f, "file", files);
    h5::write_dataset(f, "final_loss", loss.data(), {n});
    h5::write_dataset(f, "final_accuracy", acc.data(), {n});
    h5::write_dataset(f, "lambda_max_before", before.data(), {n});
    h5::write_dataset(f, "lambda_max_after", after.data(), {n});
    const H5::Group links = f.createGroup("points");
    for (std::size_t i = 0; i < n; ++i)
      if (rows[i].status == "ok")
        H5Lcreate_external(points[i].file.c_str(), "/", links.getId(),
                           points[i].file.substr(0, points[i].file.size() - 3).c_str(), H5P_DEFAULT,
                           H5P_DEFAULT);
  });
  out.commit();
  return outcome;
}

}  // namespace chaoschip::io
