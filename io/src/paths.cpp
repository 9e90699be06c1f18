#include "chaoschip/io/paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/io/config.hpp"

namespace chaoschip::io {

namespace fs = std::filesystem;

namespace {

// Room the atomic writer needs beside the target's name: ".NAME.tmp.PID.COUNTER".
constexpr std::size_t kTemporaryExtra = 32;

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// stat() that follows symlinks; false when there is nothing there. A name too long for the
// file system is a file_error (exit 2), never a std::filesystem exception (exit 1).
bool stat_path(const std::string& path, struct stat& st) {
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENAMETOOLONG) throw file_error(path, "file name too long");
  return false;
}

bool is_path_like(const std::string& profile) {
  // The same rule as chip.profile itself: a .toml name or anything with a slash.
  return profile.ends_with(".toml") || profile.find('/') != std::string::npos;
}

}  // namespace

void check_input_file(const std::string& path) {
  struct stat st {};
  if (!stat_path(path, st) || S_ISREG(st.st_mode)) return;
  // Reading a FIFO blocks until a writer appears; a device never ends.
  throw file_error(path, "is " + kind_of(st.st_mode) + ", expected a regular file");
}

void check_output_file(const std::string& path) {
  const fs::path p(path);
  const std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..")
    throw file_error(path, "not a file name (expected an output file name)");
  struct stat st {};
  if (stat_path(path, st)) {
    if (S_ISDIR(st.st_mode)) throw file_error(path, "is a directory, expected an output file name");
    // The file is written beside the target and renamed over it: a device or FIFO would be
    // replaced by a plain file (as root, /dev/null itself).
    if (!S_ISREG(st.st_mode))
      throw file_error(path, "is " + kind_of(st.st_mode) +
                                 ", not a regular file; chaoschip only writes regular files "
                                 "and never replaces a device or pipe");
  }
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  struct stat dst {};
  if (!stat_path(dir.string(), dst) || !S_ISDIR(dst.st_mode))
    throw file_error(path, "its directory '" + dir.string() + "' does not exist");
  const long name_max = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  const std::size_t limit = name_max > 0 ? static_cast<std::size_t>(name_max) : NAME_MAX;
  if (name.size() + kTemporaryExtra > limit)
    throw file_error(path,
                     fmt::format("file name too long ({} characters; at most {} here)", name.size(),
                                 limit > kTemporaryExtra ? limit - kTemporaryExtra : 0));
  if (path.size() + kTemporaryExtra >= PATH_MAX)
    throw file_error(path, fmt::format("path too long ({} characters)", path.size()));
}

void check_output_directory(const std::string& dir) {
  struct stat st {};
  if (stat_path(dir, st) && !S_ISDIR(st.st_mode))
    throw file_error(dir, "is " + kind_of(st.st_mode) + ", expected an output directory");
}

std::vector<std::string> config_inputs(const run_config& config) {
  std::vector<std::string> files;
  if ((config.network.init == "file" || config.network.source == "nir") &&
      !config.network.file.empty())
    files.push_back(config.network.file);
  if (config.task.name == "file" && !config.task.file.empty()) files.push_back(config.task.file);
  const std::string& profile = config.chip.profile;
  if (!is_path_like(profile)) return files;
  files.push_back(profile);
  // A profile's base is a built-in name today; should it name a file, that is read too.
  try {
    struct stat st {};
    if (!stat_path(profile, st) || !S_ISREG(st.st_mode)) return files;
    const toml::table t = toml::parse_file(profile);
    if (const auto base = t["base"].value<std::string>(); base && is_path_like(*base)) {
      const fs::path relative = fs::path(profile).parent_path() / *base;
      files.push_back(fs::exists(relative) ? relative.string() : *base);
    }
  } catch (const toml::parse_error&) {
    // The profile loader reports its syntax errors; nothing more to list here.
  }
  return files;
}

void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs,
                        const std::string& command) {
  struct stat out {};
  if (!stat_path(output, out)) return;
  for (const auto& input : inputs) {
    struct stat in {};
    if (!stat_path(input, in) || in.st_dev != out.st_dev || in.st_ino != out.st_ino) continue;
    const std::string same = input == output
                                 ? std::string("is an input file")
                                 : fmt::format("is the same file as the input '{}'", input);
    throw file_error(output, same + "; chaoschip " + command + " never writes over its input");
  }
}

std::string describe_write_error(int error_number) {
  switch (error_number) {
    case ENOSPC:
      return "no space left on device";
    case EDQUOT:
      return "disk quota exceeded";
    case EFBIG:
      return "file too large";
    default:
      return std::generic_category().message(error_number);
  }
}

}  // namespace chaoschip::io
