// Variable-length strings read safely. HDF5 1.10 follows a variable-length string's heap
// reference without checks: a damaged length makes it allocate and zero gigabytes (and
// hang), a damaged global heap makes it loop for ever or copy past its buffers. So the raw
// references are checked first, straight from the file bytes (HDF5 file format, "Global
// Heap"): each names a "GCOL" collection inside the file that holds an object of that
// index at least as long as the string. A dataset's references are its contiguous data; an
// attribute's sit in its attribute message in the object header ("Object Headers",
// "Attribute Message").
#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "h5.hpp"

namespace chaoschip::io::h5 {

namespace {

constexpr std::uint64_t kMaxString = 1 << 20;
constexpr std::uint16_t kAttributeMessage = 0x000C, kContinuationMessage = 0x0010;
// A real object header has a handful of chunks; more means a damaged (cyclic) chain.
constexpr std::size_t kMaxChunks = 64;

// The file's bytes and its address sizes, with the checks of string references.
class heap_check {
 public:
  // `what` names the dataset or attribute in messages ("dataset 'node/type'").
  heap_check(const std::string& file, hid_t object, std::string what)
      : file_(file), what_(std::move(what)), in_(file, std::ios::binary) {
    const hid_t file_id = H5Iget_file_id(object);
    const hid_t plist = file_id < 0 ? -1 : H5Fget_create_plist(file_id);
    hsize_t userblock = 0;
    const bool ok = plist >= 0 && H5Pget_sizes(plist, &addr_size_, &len_size_) >= 0 &&
                    H5Pget_userblock(plist, &userblock) >= 0;
    if (plist >= 0) H5Pclose(plist);
    if (file_id >= 0) H5Fclose(file_id);
    if (!ok)
      throw H5::FileIException("H5Fget_create_plist", "cannot read the file's address sizes");
    base_ = userblock;
    in_.seekg(0, std::ios::end);
    file_size_ = static_cast<std::uint64_t>(in_.tellg());
  }

  std::size_t reference_size() const { return 4 + addr_size_ + 4; }
  std::size_t addr_size() const { return addr_size_; }
  std::size_t len_size() const { return len_size_; }
  std::uint64_t base() const { return base_; }

  // Checks the n references stored at `offset` (a file offset). An empty string may be
  // stored as a nil reference (address 0), which HDF5 does not follow.
  void check(std::uint64_t offset, std::size_t n) {
    const std::size_t width = reference_size();
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t length = number(offset + i * width, 4);
      const std::uint64_t address = number(offset + i * width + 4, addr_size_);
      const std::uint64_t index = number(offset + i * width + 4 + addr_size_, 4);
      if (length == 0 && address == 0) continue;
      if (length > kMaxString || !holds(address + base_, index, length))
        throw damaged(
            fmt::format("{}: string {} refers to a damaged or absurd heap object ({} "
                        "bytes; damaged file?)",
                        what_, i, length));
    }
  }

  // A little-endian unsigned number of `bytes` bytes at `at`; damaged when outside the file.
  std::uint64_t number(std::uint64_t at, std::size_t bytes) {
    if (bytes > 8 || at > file_size_ || file_size_ - at < bytes)
      throw damaged(
          fmt::format("{}: a string reference points outside the file (damaged file?)", what_));
    unsigned char b[8] = {};
    in_.seekg(static_cast<std::streamoff>(at));
    in_.read(reinterpret_cast<char*>(b), static_cast<std::streamsize>(bytes));
    std::uint64_t v = 0;
    for (std::size_t i = bytes; i-- > 0;) v = (v << 8) | b[i];
    return v;
  }

  bool signature(std::uint64_t at, const char (&expected)[5]) {
    char s[4] = {};
    if (at > file_size_ || file_size_ - at < 4) return false;
    in_.seekg(static_cast<std::streamoff>(at));
    in_.read(s, 4);
    return std::memcmp(s, expected, 4) == 0;
  }

  std::string bytes(std::uint64_t at, std::size_t n) {
    std::string s(n, '\0');
    if (at > file_size_ || file_size_ - at < n) return {};
    in_.seekg(static_cast<std::streamoff>(at));
    in_.read(s.data(), static_cast<std::streamsize>(n));
    return s;
  }

  file_error damaged(const std::string& detail) const { return file_error(file_, detail); }

 private:
  bool holds(std::uint64_t at, std::uint64_t index, std::uint64_t length) {
    auto it = collections_.find(at);
    if (it == collections_.end()) it = collections_.emplace(at, parse(at)).first;
    if (!it->second) return false;
    const auto object = it->second->find(index);
    return object != it->second->end() && object->second >= length;
  }

  // The objects (index -> size) of the collection at `at`; nullopt when it is damaged.
  // HDF5 parses the whole collection, so every object in it must be well formed.
  std::optional<std::map<std::uint64_t, std::uint64_t>> parse(std::uint64_t at) {
    if (at > file_size_ || file_size_ - at < 8 + len_size_) return std::nullopt;
    if (!signature(at, "GCOL") || number(at + 4, 1) != 1) return std::nullopt;
    const std::uint64_t size = number(at + 8, len_size_);
    if (size > file_size_ - at) return std::nullopt;
    // Walked as HDF5's deserializer walks it: a step of 0 would make it loop for ever.
    const std::uint64_t end = at + size, header = 8 + len_size_;
    std::map<std::uint64_t, std::uint64_t> objects;
    for (std::uint64_t p = at + header; p < end && end - p >= header;) {
      const std::uint64_t object = number(p, 2), bytes = number(p + 8, len_size_);
      if (bytes > end - p) return std::nullopt;
      // Object 0 is free space, its size including its header.
      const std::uint64_t step = object == 0 ? bytes : header + (bytes + 7) / 8 * 8;
      if (step == 0 || step > end - p) return std::nullopt;
      if (object != 0) objects[object] = bytes;
      p += step;
    }
    return objects;
  }

  std::string file_, what_;
  std::ifstream in_;
  std::map<std::uint64_t, std::optional<std::map<std::uint64_t, std::uint64_t>>> collections_;
  std::size_t addr_size_ = 8, len_size_ = 8;
  std::uint64_t base_ = 0, file_size_ = 0;
};

// A range of file offsets [begin, end).
struct extent {
  std::uint64_t begin = 0, end = 0;
};

std::uint64_t pad8(std::uint64_t n) {
  return (n + 7) / 8 * 8;
}

// Where the object header's messages walk found the data of attribute `name`.
class attribute_finder {
 public:
  attribute_finder(heap_check& bytes, std::string name) : f_(bytes), name_(std::move(name)) {}

  // The data of the attribute in the header at `header` (a file offset); nullopt when the
  // header holds no such attribute message (dense or shared attribute storage).
  std::optional<extent> find(std::uint64_t header) {
    if (f_.signature(header, "OHDR")) {
      if (f_.number(header + 4, 1) != 2) throw damaged("an object header of unknown version");
      const std::uint64_t flags = f_.number(header + 5, 1);
      std::uint64_t at = header + 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
      const std::size_t width = std::size_t{1} << (flags & 3);
      const std::uint64_t size = f_.number(at, width);
      v2_ = true;
      creation_order_ = (flags & 0x04) != 0;
      chunks_.push_back({at + width, at + width + size});
    } else {
      if (f_.number(header, 1) != 1) throw damaged("an object header of unknown version");
      const std::uint64_t size = f_.number(header + 8, 4);
      chunks_.push_back({header + 16, header + 16 + size});
    }
    for (std::size_t i = 0; i < chunks_.size(); ++i) {
      if (i >= kMaxChunks) throw damaged("an object header with too many chunks");
      if (auto data = walk(chunks_[i])) return data;
    }
    return std::nullopt;
  }

 private:
  file_error damaged(const std::string& what) const {
    return f_.damaged(fmt::format("attribute '{}': {} (damaged file?)", name_, what));
  }

  std::optional<extent> walk(extent chunk) {
    const std::uint64_t header = v2_ ? (creation_order_ ? 6 : 4) : 8;
    for (std::uint64_t p = chunk.begin; p < chunk.end && chunk.end - p >= header;) {
      const std::uint64_t type = v2_ ? f_.number(p, 1) : f_.number(p, 2);
      const std::uint64_t size = f_.number(p + (v2_ ? 1 : 2), 2);
      const std::uint64_t flags = f_.number(p + (v2_ ? 3 : 4), 1);
      if (size > chunk.end - p - header) throw damaged("a header message overruns its chunk");
      const extent message{p + header, p + header + size};
      if (type == kContinuationMessage) continuation(message);
      // A shared message (flag bit 1) holds a reference, not the attribute.
      if (type == kAttributeMessage && !(flags & 0x02))
        if (auto data = attribute_data(message)) return data;
      p = message.end;
    }
    return std::nullopt;
  }

  void continuation(extent m) {
    const std::uint64_t at = f_.number(m.begin, f_.addr_size()) + f_.base();
    const std::uint64_t length = f_.number(m.begin + f_.addr_size(), f_.len_size());
    if (!seen_.insert(at).second) throw damaged("an object header's chunks form a cycle");
    if (!v2_) {
      chunks_.push_back({at, at + length});
      return;
    }
    // "OCHK", the messages, a checksum.
    if (length < 8 || !f_.signature(at, "OCHK")) throw damaged("a damaged header chunk");
    chunks_.push_back({at + 4, at + length - 4});
  }

  // The data of an attribute message named name_, or nullopt for another attribute.
  std::optional<extent> attribute_data(extent m) {
    const std::uint64_t version = f_.number(m.begin, 1);
    if (version < 1 || version > 3) throw damaged("an attribute message of unknown version");
    const std::uint64_t name_size = f_.number(m.begin + 2, 2);
    const std::uint64_t type_size = f_.number(m.begin + 4, 2);
    const std::uint64_t space_size = f_.number(m.begin + 6, 2);
    const std::uint64_t name_at = m.begin + (version == 3 ? 9 : 8);
    auto padded = [&](std::uint64_t n) { return version == 1 ? pad8(n) : n; };
    const std::uint64_t data = name_at + padded(name_size) + padded(type_size) + padded(space_size);
    if (name_size == 0 || data > m.end) throw damaged("a damaged attribute message");
    if (f_.bytes(name_at, name_size - 1) != name_) return std::nullopt;
    return extent{data, m.end};
  }

  heap_check& f_;
  std::string name_;
  std::vector<extent> chunks_;
  std::set<std::uint64_t> seen_;
  bool v2_ = false, creation_order_ = false;
};

}  // namespace

void check_string_references(const std::string& file, const H5::DataSet& set,
                             const std::string& name, std::size_t n) {
  const H5::StrType stored = set.getStrType();
  if (n == 0 || !stored.isVariableStr()) return;
  // Contiguous storage (what h5py and chaoschip write) is checked; compact storage sits
  // in the object header, which HDF5 checks itself.
  const haddr_t offset = H5Dget_offset(set.getId());
  if (offset != HADDR_UNDEF)
    heap_check(file, set.getId(), fmt::format("dataset '{}'", name)).check(offset, n);
}

void check_string_attribute(const std::string& file, const H5::H5Object& object,
                            const std::string& name) {
  const H5::Attribute attribute = object.openAttribute(name);
  if (attribute.getTypeClass() != H5T_STRING || !attribute.getStrType().isVariableStr()) return;
  const auto n = static_cast<std::size_t>(attribute.getSpace().getSimpleExtentNpoints());
  if (n == 0) return;
  H5O_info_t info;
  if (H5Oget_info2(object.getId(), &info, H5O_INFO_BASIC) < 0)
    throw H5::AttributeIException("H5Oget_info2", "cannot locate the object header");
  heap_check bytes(file, object.getId(), fmt::format("attribute '{}'", name));
  const auto data = attribute_finder(bytes, name).find(info.addr + bytes.base());
  // Dense or shared attribute storage (not what chaoschip or h5py write by default) is
  // left to HDF5.
  if (!data) return;
  if (data->end - data->begin < n * bytes.reference_size())
    throw bytes.damaged(fmt::format(
        "attribute '{}': its data is shorter than {} string references (damaged file?)", name, n));
  bytes.check(data->begin, n);
}

std::vector<std::string> read_strings(const H5::DataSet& set, const std::string& file,
                                      const std::string& name, const shape_t& shape) {
  const std::size_t n = element_count(file, name, shape, set.getStorageSize());
  std::vector<std::string> values;
  if (n == 0) return values;
  const H5::StrType stored = set.getStrType();
  if (stored.isVariableStr()) {
    check_string_references(file, set, name, n);
    H5::StrType memory(H5::PredType::C_S1, H5T_VARIABLE);
    memory.setCset(stored.getCset());
    std::vector<char*> pointers(n, nullptr);
    set.read(pointers.data(), memory);
    for (char* p : pointers) values.emplace_back(p ? p : "");
    H5Dvlen_reclaim(memory.getId(), set.getSpace().getId(), H5P_DEFAULT, pointers.data());
  } else {
    const std::size_t width = stored.getSize();
    std::vector<char> buffer(n * width);
    set.read(buffer.data(), stored);
    for (std::size_t i = 0; i < n; ++i)
      values.emplace_back(buffer.data() + i * width, strnlen(buffer.data() + i * width, width));
  }
  return values;
}

std::string read_string(const H5::H5Object& object, const std::string& name) {
  check_string_attribute(object.getFileName(), object, name);
  const H5::Attribute attribute = object.openAttribute(name);
  std::string value;
  attribute.read(attribute.getStrType(), value);
  return value;
}

}  // namespace chaoschip::io::h5
