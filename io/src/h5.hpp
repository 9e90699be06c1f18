#pragma once
// A small private layer over the HDF5 C++ API: every H5::Exception becomes a file_error
// naming the file, files are written atomically, and datasets are written and read from
// contiguous row-major buffers with a generic helper instead of one function per dataset.
#include <H5Cpp.h>

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "chaoschip/core/errors.hpp"

namespace chaoschip::io::h5 {

using shape_t = std::vector<hsize_t>;

// The HDF5 C++ wrapper is not documented as thread-safe and `sweep` writes files from a
// thread pool, so every public io entry point holds this lock while it touches HDF5.
std::unique_lock<std::recursive_mutex> lock();

// "[100, 99]"
std::string format_shape(const shape_t& shape);

// The row-major position `flat` in an array of `shape` as an index, "[3, 7]".
std::string format_index(const shape_t& shape, std::size_t flat);

// What guard() reports when HDF5 fails while reading or writing.
inline constexpr const char* reading = "not a readable HDF5 file";
inline constexpr const char* writing = "cannot write the HDF5 file";

// Runs fn, turning an HDF5 exception into a file_error naming `path`: `what` went wrong,
// followed by HDF5's own terse message, which names the failing call.
template <class F>
auto guard(const std::string& path, const char* what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const H5::Exception& e) {
    throw file_error(
        path, std::string(what) + " (HDF5: " + e.getFuncName() + ": " + e.getDetailMsg() + ")");
  }
}

// Opens an existing file read-only. Throws file_error when it is missing, a directory or
// not a readable HDF5 file.
H5::H5File open_read(const std::string& path);

// Writes to `<dir>/.<name>.tmp.<pid>.<counter>` next to the target so that the final
// rename is atomic (same file system); commit() writes the file out and renames it over the
// target, the destructor removes the temporary file when commit() was never reached. The
// HDF5 file lives in memory until commit(), whose write errors ("no space left on device")
// are file_errors naming the target. Refuses a target that is a directory, a device or a
// FIFO (check_output_file).
class atomic_file {
 public:
  explicit atomic_file(std::string target);
  ~atomic_file();
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;

  H5::H5File& file() { return *file_; }
  const std::string& target() const { return target_; }
  const std::string& temporary() const { return temporary_; }
  void commit();

 private:
  void discard() noexcept;

  std::string target_, temporary_;
  int fd_ = -1;
  std::optional<H5::H5File> file_;
  bool committed_ = false;
};

// The HDF5 memory type for T (double, float, the fixed-width integers).
template <class T>
const H5::PredType& native_type() {
  if constexpr (std::is_same_v<T, double>)
    return H5::PredType::NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, float>)
    return H5::PredType::NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return H5::PredType::NATIVE_UINT8;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return H5::PredType::NATIVE_INT32;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return H5::PredType::NATIVE_INT64;
  else {
    static_assert(std::is_same_v<T, std::uint64_t>, "no HDF5 type for T");
    return H5::PredType::NATIVE_UINT64;
  }
}

// Opens the group at `path` (slash-separated, relative to `parent`), creating it and any
// missing intermediate groups.
H5::Group require_group(const H5::Group& parent, const std::string& path);

// Whether `path` (slash-separated, relative to `location`) names an existing object; unlike
// nameExists() it tolerates missing intermediate groups.
bool exists(const H5::Group& location, const std::string& path);

// Writes a dataset of `shape` from a contiguous row-major buffer. Datasets above 64 KiB
// are chunked and gzip-compressed (recordings compress well); smaller ones are contiguous.
void write_raw(const H5::Group& parent, const std::string& name, const void* data,
               const H5::PredType& type, std::size_t element_size, const shape_t& shape);

template <class T>
void write_dataset(const H5::Group& parent, const std::string& name, const T* data,
                   const shape_t& shape) {
  write_raw(parent, name, data, native_type<T>(), sizeof(T), shape);
}

// The root attributes every file chaoschip writes carries: chaoschip_version,
// git_revision, created (ISO 8601 UTC) and config (the resolved config as TOML text).
void write_provenance(const H5::H5File& file, const std::string& config_toml);

// A 1-D dataset of variable-length UTF-8 strings (h5py reads bytes objects; .asstr()).
void write_strings(const H5::Group& parent, const std::string& name,
                   const std::vector<std::string>& values);

// Variable-length UTF-8 scalar string attribute (h5py reads it as str).
void write_attribute(const H5::H5Object& object, const std::string& name, const std::string& value);
void write_attribute(const H5::H5Object& object, const std::string& name, double value);
void write_attribute(const H5::H5Object& object, const std::string& name, std::int64_t value);

// A scalar string attribute; scalar numeric attributes are formatted. nullopt when absent.
std::optional<std::string> read_string_attribute(const H5::H5Object& object,
                                                 const std::string& name);

// Variable-length strings: HDF5 1.10 follows their heap references unchecked (a damaged
// file crashes it or makes it loop for ever), so these check the references against the
// file's bytes first and throw a file_error naming `file` and the dataset or attribute.
// Every string read from a file goes through them (h5_strings.cpp).
void check_string_references(const std::string& file, const H5::DataSet& set,
                             const std::string& name, std::size_t n);
void check_string_attribute(const std::string& file, const H5::H5Object& object,
                            const std::string& name);
// The strings of a string dataset (fixed or variable length) of `shape`, row-major.
std::vector<std::string> read_strings(const H5::DataSet& set, const std::string& file,
                                      const std::string& name, const shape_t& shape);
// A scalar string attribute (it must exist and be a string), checked as above.
std::string read_string(const H5::H5Object& object, const std::string& name);

// "float32", "uint8", "string", ... for messages and summaries.
std::string type_name(const H5::DataType& type);

// Opens dataset `name` (a path inside `location`), requiring its type class to be one of
// `classes`; returns it with its shape. Throws file_error naming `file` and the dataset
// when it is missing or of another type class.
std::pair<H5::DataSet, shape_t> open_dataset(const H5::Group& location, const std::string& file,
                                             const std::string& name,
                                             std::initializer_list<H5T_class_t> classes);

// The values of a dataset converted to T by HDF5, with the stored shape. Shapes are checked
// by the caller, who knows which config key they must agree with.
template <class T>
struct array {
  shape_t shape;
  std::vector<T> values;
};

// The number of elements of a dataset of `shape` that occupies `stored` bytes in the file.
// A damaged file may claim any shape: a product that overflows, or more than deflate could
// have compressed into `stored` bytes (at most ~1032:1; plus 1 MiB for unwritten small
// datasets), is a file_error instead of an allocation that fails or exhausts memory.
std::size_t element_count(const std::string& file, const std::string& name, const shape_t& shape,
                          hsize_t stored);

// Numbers are at most 8 bytes wide: a damaged type claiming gigabytes per element would
// make HDF5 allocate that much for its conversion buffer. Throws file_error naming the
// dataset.
void check_element_size(const std::string& file, const std::string& name, const H5::DataSet& set);

template <class T>
array<T> read_dataset(const H5::Group& location, const std::string& file, const std::string& name,
                      std::initializer_list<H5T_class_t> classes) {
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in the lambda.
  auto opened = open_dataset(location, file, name, classes);
  H5::DataSet& set = opened.first;
  const shape_t& shape = opened.second;
  check_element_size(file, name, set);
  const std::size_t n =
      guard(file, reading, [&] { return element_count(file, name, shape, set.getStorageSize()); });
  array<T> result{shape, std::vector<T>(n)};
  guard(file, reading, [&] {
    if (n > 0) set.read(result.values.data(), native_type<T>());
  });
  return result;
}

// Throws file_error "dataset 'name' has shape [..], expected [..] (why)" on a mismatch.
void expect_shape(const std::string& file, const std::string& name, const shape_t& shape,
                  const shape_t& expected, const std::string& why);

// Throws file_error naming the dataset and the index of its first NaN/Inf.
void expect_finite(const std::string& file, const std::string& name, const array<double>& data);

}  // namespace chaoschip::io::h5
