#include "h5.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "chaoschip/io/paths.hpp"

#ifndef CHAOSCHIP_VERSION
#define CHAOSCHIP_VERSION "unknown"
#endif
#ifndef CHAOSCHIP_GIT_REVISION
#define CHAOSCHIP_GIT_REVISION "unknown"
#endif

namespace chaoschip::io::h5 {

namespace fs = std::filesystem;

namespace {

// Datasets above this size are chunked and compressed; chunks aim at kChunkBytes.
constexpr std::size_t kCompressAbove = 64 * 1024;
constexpr std::size_t kChunkBytes = 256 * 1024;
// Growth step of an in-memory file under construction (HDF5 zeroes each new step).
constexpr std::size_t kCoreIncrement = 8 << 20;

std::size_t element_count(const shape_t& shape) {
  std::size_t n = 1;
  for (hsize_t d : shape) n *= d;
  return n;
}

// Splits "a/b/c" into its non-empty components.
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = std::min(path.find('/', begin), path.size());
    if (end > begin) parts.push_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

std::string class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "floating-point";
    case H5T_STRING:
      return "string";
    default:
      return "other";
  }
}

}  // namespace

std::unique_lock<std::recursive_mutex> lock() {
  static std::recursive_mutex mutex;
  std::unique_lock<std::recursive_mutex> held(mutex);
  // Our own file_error messages replace HDF5's error-stack dumps on stderr.
  H5::Exception::dontPrint();
  return held;
}

std::string format_shape(const shape_t& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string format_index(const shape_t& shape, std::size_t flat) {
  // Unravel so the user can look the element up in h5py.
  shape_t index(shape.size());
  for (std::size_t i = index.size(); i-- > 0;) {
    index[i] = flat % shape[i];
    flat /= shape[i];
  }
  return format_shape(index);
}

H5::H5File open_read(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw file_error(path, "file not found");
  if (fs::is_directory(status)) throw file_error(path, "is a directory, expected an HDF5 file");
  check_input_file(path);  // a FIFO would block here forever
  if (!std::ifstream(path)) throw file_error(path, "cannot be opened for reading");
  try {
    return H5::H5File(path, H5F_ACC_RDONLY);
  } catch (const H5::Exception&) {
    throw file_error(path, "not a readable HDF5 file");
  }
}

atomic_file::atomic_file(std::string target) : target_(std::move(target)) {
  // A directory, a device, a FIFO or a name too long: refused before anything is written.
  check_output_file(target_);
  const fs::path target_path(target_);
  const std::string name = target_path.filename().string();
  const fs::path dir = target_path.has_parent_path() ? target_path.parent_path() : fs::path(".");

  // pid + counter keep concurrent writers (processes, sweep threads) apart.
  static std::atomic<unsigned> counter{0};
  temporary_ = (dir / fmt::format(".{}.tmp.{}.{}", name, ::getpid(), counter++)).string();
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int e = errno;
    throw file_error(target_, "cannot create a file in directory '" + dir.string() +
                                  "': " + describe_write_error(e));
  }
  // HDF5 builds the file in memory (the core driver) and commit() writes the bytes itself:
  // a dataset or file whose flush failed (disk full) can be neither closed nor destroyed
  // safely by HDF5, so it never touches the disk, and a full disk is an ordinary write error.
  try {
    H5::FileAccPropList access;
    access.setCore(kCoreIncrement, false);
    file_.emplace(temporary_, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, access);
  } catch (const H5::Exception& e) {
    discard();
    throw file_error(target_, std::string(writing) + " (HDF5: " + e.getDetailMsg() + ")");
  }
}

atomic_file::~atomic_file() {
  if (!committed_) discard();
}

void atomic_file::discard() noexcept {
  try {
    file_.reset();  // in memory: closing cannot fail for lack of space
  } catch (...) {
    // Nothing useful to do while unwinding; the temporary file is removed below either way.
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temporary_.c_str());
}

void atomic_file::commit() {
  std::vector<char> image = guard(target_, writing, [&] {
    const hid_t id = file_->getId();
    file_->flush(H5F_SCOPE_GLOBAL);  // metadata still in HDF5's caches belongs in the image
    const ssize_t size = H5Fget_file_image(id, nullptr, 0);
    std::vector<char> bytes(size > 0 ? static_cast<std::size_t>(size) : 0);
    if (size < 0 || H5Fget_file_image(id, bytes.data(), bytes.size()) != size)
      throw H5::FileIException("H5Fget_file_image", "cannot copy the file image");
    file_->close();
    return bytes;
  });
  file_.reset();
  auto fail = [&](int e) { throw file_error(target_, "cannot write: " + describe_write_error(e)); };
  for (std::size_t done = 0; done < image.size();) {
    const ssize_t n = ::write(fd_, image.data() + done, image.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(errno);
    done += static_cast<std::size_t>(n);
  }
  image = {};
  // Some file systems (NFS, quotas) report a full disk only here.
  if (::fsync(fd_) != 0 && errno != EINVAL) fail(errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail(errno);
  // Checked again at the last moment: a device or FIFO may have appeared meanwhile.
  check_output_file(target_);
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
    const int e = errno;
    throw file_error(target_, "cannot rename the temporary file into place: " +
                                  std::generic_category().message(e));
  }
  committed_ = true;
}

namespace {
// Recursive rather than re-assigning one H5::Group, whose copy assignment juggles HDF5
// reference counts in ways that differ between library versions.
H5::Group require_parts(const H5::Group& parent, const std::vector<std::string>& parts,
                        std::size_t i) {
  if (i == parts.size()) return parent.openGroup(".");
  const H5::Group child =
      parent.nameExists(parts[i]) ? parent.openGroup(parts[i]) : parent.createGroup(parts[i]);
  return i + 1 == parts.size() ? child : require_parts(child, parts, i + 1);
}
}  // namespace

H5::Group require_group(const H5::Group& parent, const std::string& path) {
  return require_parts(parent, split_path(path), 0);
}

bool exists(const H5::Group& location, const std::string& path) {
  std::string prefix;
  for (const auto& part : split_path(path)) {
    prefix += (prefix.empty() ? "" : "/") + part;
    if (!location.nameExists(prefix)) return false;
  }
  return !prefix.empty();
}

void write_raw(const H5::Group& parent, const std::string& name, const void* data,
               const H5::PredType& type, std::size_t element_size, const shape_t& shape) {
  const int rank = static_cast<int>(shape.size());
  H5::DataSpace space = rank == 0 ? H5::DataSpace(H5S_SCALAR) : H5::DataSpace(rank, shape.data());
  H5::DSetCreatPropList props;
  const std::size_t n = element_count(shape);
  if (rank > 0 && n * element_size > kCompressAbove) {
    // Shrink the leading dimensions first so a chunk holds whole rows (time-major reads).
    shape_t chunk = shape;
    for (std::size_t i = 0; i < shape.size(); ++i) {
      const std::size_t per_index = element_count(chunk) / chunk[i] * element_size;
      if (per_index * chunk[i] <= kChunkBytes) break;
      chunk[i] = std::max<hsize_t>(1, kChunkBytes / per_index);
    }
    props.setChunk(rank, chunk.data());
    props.setShuffle();  // byte-shuffling before gzip roughly halves float64 recordings
    props.setDeflate(4);
  }
  H5::DataSet set = parent.createDataSet(name, type, space, props);
  if (n > 0) set.write(data, type);
}

void write_attribute(const H5::H5Object& object, const std::string& name,
                     const std::string& value) {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  if (object.attrExists(name)) object.removeAttr(name);
  object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
}

void write_provenance(const H5::H5File& file, const std::string& config_toml) {
  write_attribute(file, "chaoschip_version", CHAOSCHIP_VERSION);
  write_attribute(file, "git_revision", CHAOSCHIP_GIT_REVISION);
  write_attribute(
      file, "created",
      fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(
                                               std::chrono::system_clock::now()))));
  write_attribute(file, "config", config_toml);
}

void write_strings(const H5::Group& parent, const std::string& name,
                   const std::vector<std::string>& values) {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  const hsize_t n = values.size();
  const H5::DataSpace space(1, &n);
  parent.createDataSet(name, type, space).write(ptrs.data(), type);
}

void write_attribute(const H5::H5Object& object, const std::string& name, double value) {
  if (object.attrExists(name)) object.removeAttr(name);
  object.createAttribute(name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_DOUBLE, &value);
}

void write_attribute(const H5::H5Object& object, const std::string& name, std::int64_t value) {
  if (object.attrExists(name)) object.removeAttr(name);
  object.createAttribute(name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
      .write(H5::PredType::NATIVE_INT64, &value);
}

std::optional<std::string> read_string_attribute(const H5::H5Object& object,
                                                 const std::string& name) {
  if (!object.attrExists(name)) return std::nullopt;
  H5::Attribute attribute = object.openAttribute(name);
  if (attribute.getSpace().getSimpleExtentNpoints() != 1) return std::nullopt;
  switch (attribute.getTypeClass()) {
    case H5T_STRING:
      return read_string(object, name);
    case H5T_FLOAT: {
      double value = 0;
      attribute.read(H5::PredType::NATIVE_DOUBLE, &value);
      return fmt::format("{}", value);
    }
    case H5T_INTEGER: {
      std::int64_t value = 0;
      attribute.read(H5::PredType::NATIVE_INT64, &value);
      return std::to_string(value);
    }
    default:
      return std::nullopt;
  }
}

void check_element_size(const std::string& file, const std::string& name, const H5::DataSet& set) {
  const std::size_t size = guard(file, reading, [&] { return set.getDataType().getSize(); });
  if (size > 8)
    throw file_error(file, fmt::format("dataset '{}' has {}-byte elements, expected at most 8 "
                                       "(damaged file?)",
                                       name, size));
}

std::string type_name(const H5::DataType& type) {
  const std::string bits = std::to_string(type.getSize() * 8);
  switch (type.getClass()) {
    case H5T_FLOAT:
      return "float" + bits;
    case H5T_INTEGER:
      return (H5Tget_sign(type.getId()) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    default:
      return "other";
  }
}

std::pair<H5::DataSet, shape_t> open_dataset(const H5::Group& location, const std::string& file,
                                             const std::string& name,
                                             std::initializer_list<H5T_class_t> classes) {
  return guard(file, reading, [&] {
    if (!exists(location, name)) throw file_error(file, "dataset '" + name + "' is missing");
    if (location.childObjType(name) != H5O_TYPE_DATASET)
      throw file_error(file, "'" + name + "' is not a dataset");
    H5::DataSet set = location.openDataSet(name);
    const H5::DataType type = set.getDataType();
    if (std::find(classes.begin(), classes.end(), type.getClass()) == classes.end()) {
      std::string expected;
      for (H5T_class_t c : classes) expected += (expected.empty() ? "" : " or ") + class_name(c);
      throw file_error(file, fmt::format("dataset '{}' has type {}, expected {}", name,
                                         type_name(type), expected));
    }
    const H5::DataSpace space = set.getSpace();
    if (space.getSimpleExtentType() == H5S_NULL)
      throw file_error(file, "dataset '" + name + "' holds no data");
    shape_t shape(static_cast<std::size_t>(space.getSimpleExtentNdims()));
    if (!shape.empty()) space.getSimpleExtentDims(shape.data());
    return std::pair{set, shape};
  });
}

std::size_t element_count(const std::string& file, const std::string& name, const shape_t& shape,
                          hsize_t stored) {
  // 8 bytes (the widest element type read) per element against 1100 times the stored bytes.
  const double limit = 1100.0 * static_cast<double>(stored) + double(1 << 20);
  double bytes = 8.0;
  std::size_t n = 1;
  for (hsize_t d : shape) {
    bytes *= static_cast<double>(d);
    n *= d;
  }
  if (bytes > limit)
    throw file_error(file, fmt::format("dataset '{}' has shape {} but holds only {} bytes in the "
                                       "file (damaged?)",
                                       name, format_shape(shape), stored));
  return n;
}

void expect_shape(const std::string& file, const std::string& name, const shape_t& shape,
                  const shape_t& expected, const std::string& why) {
  if (shape == expected) return;
  throw file_error(
      file, fmt::format("dataset '{}' has shape {}, expected {}{}", name, format_shape(shape),
                        format_shape(expected), why.empty() ? "" : " (" + why + ")"));
}

void expect_finite(const std::string& file, const std::string& name, const array<double>& data) {
  const auto bad = std::find_if(data.values.begin(), data.values.end(),
                                [](double v) { return !std::isfinite(v); });
  if (bad == data.values.end()) return;
  throw file_error(file, fmt::format("dataset '{}' holds a non-finite value ({}) at {}", name, *bad,
                                     format_index(data.shape, bad - data.values.begin())));
}

}  // namespace chaoschip::io::h5
