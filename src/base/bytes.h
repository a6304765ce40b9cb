// Big-endian and varint primitives of the Kafka wire format, and CRC-32C. The reader
// never throws and never reads past its input: a short or malformed buffer makes it
// fail (sticky), and every later read returns zero, so decoders check ok() once at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace wharf {

class byte_reader {
 public:
  byte_reader() = default;
  explicit byte_reader(std::string_view data) : data_(data) {}
  byte_reader(const void* data, std::size_t size) : data_(static_cast<const char*>(data), size) {}

  bool ok() const { return error_ == nullptr; }
  const char* error() const { return error_ ? error_ : ""; }
  // Marks the input malformed; the first reason is kept.
  void fail(const char* why) {
    if (!error_) error_ = why;
    position_ = data_.size();
  }

  std::size_t position() const { return position_; }
  std::size_t remaining() const { return data_.size() - position_; }
  bool at_end() const { return position_ >= data_.size(); }
  std::string_view rest() const { return data_.substr(position_); }
  std::string_view data() const { return data_; }

  std::int8_t read_int8() { return static_cast<std::int8_t>(read_be<std::uint8_t>()); }
  std::uint8_t read_uint8() { return read_be<std::uint8_t>(); }
  std::int16_t read_int16() { return static_cast<std::int16_t>(read_be<std::uint16_t>()); }
  std::uint16_t read_uint16() { return read_be<std::uint16_t>(); }
  std::int32_t read_int32() { return static_cast<std::int32_t>(read_be<std::uint32_t>()); }
  std::uint32_t read_uint32() { return read_be<std::uint32_t>(); }
  std::int64_t read_int64() { return static_cast<std::int64_t>(read_be<std::uint64_t>()); }
  double read_float64() {
    auto bits = read_be<std::uint64_t>();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }
  bool read_bool() { return read_uint8() != 0; }

  // Unsigned LEB128 of at most 5 bytes (32 bits).
  std::uint32_t read_unsigned_varint();
  // Zig-zag encoded signed varints, as in record fields.
  std::int32_t read_varint();
  std::int64_t read_varlong();
  std::uint64_t read_unsigned_varlong();

  // n raw bytes; fails if fewer remain.
  std::string_view read_bytes(std::size_t n) {
    if (n > remaining()) {
      fail("length exceeds the remaining input");
      return {};
    }
    auto out = data_.substr(position_, n);
    position_ += n;
    return out;
  }
  void skip(std::size_t n) { (void)read_bytes(n); }

 private:
  template <typename T>
  T read_be() {
    if (remaining() < sizeof(T)) {
      fail("input ends in the middle of a value");
      return 0;
    }
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value = static_cast<T>((value << 8) | static_cast<std::uint8_t>(data_[position_ + i]));
    }
    position_ += sizeof(T);
    return value;
  }

  std::string_view data_;
  std::size_t position_ = 0;
  const char* error_ = nullptr;
};

class byte_writer {
 public:
  byte_writer() = default;
  explicit byte_writer(std::string& out) : out_(&out) {}

  std::string& buffer() { return *out_; }
  std::size_t size() const { return out_->size(); }
  void reserve(std::size_t n) { out_->reserve(n); }

  void write_int8(std::int8_t v) { out_->push_back(static_cast<char>(v)); }
  void write_uint8(std::uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void write_int16(std::int16_t v) { write_be(static_cast<std::uint16_t>(v)); }
  void write_uint16(std::uint16_t v) { write_be(v); }
  void write_int32(std::int32_t v) { write_be(static_cast<std::uint32_t>(v)); }
  void write_uint32(std::uint32_t v) { write_be(v); }
  void write_int64(std::int64_t v) { write_be(static_cast<std::uint64_t>(v)); }
  void write_float64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    write_be(bits);
  }
  void write_bool(bool v) { write_uint8(v ? 1 : 0); }
  void write_unsigned_varint(std::uint32_t v) { write_unsigned_varlong(v); }
  void write_unsigned_varlong(std::uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void write_varint(std::int32_t v) {
    write_unsigned_varint((static_cast<std::uint32_t>(v) << 1) ^
                          static_cast<std::uint32_t>(v >> 31));
  }
  void write_varlong(std::int64_t v) {
    write_unsigned_varlong((static_cast<std::uint64_t>(v) << 1) ^
                           static_cast<std::uint64_t>(v >> 63));
  }
  void write_bytes(std::string_view bytes) { out_->append(bytes); }

  // Large byte strings may be left out of the buffer: with a splice list set, write_large
  // records where such bytes belong instead of copying them, and whoever sends the buffer
  // writes the pieces in order (a fetch response's records go from the page cache to the
  // socket without passing through this buffer). The bytes must outlive the sending.
  struct splice {
    std::size_t position;  // in buffer(): the bytes come before buffer()[position]
    std::string_view bytes;
    // Where the bytes also are in a file, when the owner knows (a sender may then hand the
    // file range to sendfile instead of copying the bytes): a descriptor, or -1.
    int fd = -1;
    std::uint64_t file_offset = 0;
  };
  void splice_large_bytes(std::vector<splice>* into, std::size_t min_size) {
    splices_ = into;
    splice_min_size_ = min_size;
  }
  void write_large(std::string_view bytes) {
    if (splices_ && bytes.size() >= splice_min_size_) {
      splices_->push_back({out_->size(), bytes});
    } else {
      out_->append(bytes);
    }
  }
  // Bytes spliced at or after position (for a frame's size prefix).
  std::size_t spliced_size_since(std::size_t position) const {
    std::size_t total = 0;
    if (splices_) {
      for (const auto& s : *splices_) {
        if (s.position >= position) total += s.bytes.size();
      }
    }
    return total;
  }

  // Overwrites 4 bytes at position (for a length or CRC known only at the end).
  void patch_int32(std::size_t position, std::int32_t v) {
    auto u = static_cast<std::uint32_t>(v);
    for (int i = 3; i >= 0; --i) {
      (*out_)[position + static_cast<std::size_t>(i)] = static_cast<char>(u & 0xff);
      u >>= 8;
    }
  }

 private:
  template <typename T>
  void write_be(T v) {
    char bytes[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      bytes[sizeof(T) - 1 - i] = static_cast<char>(v & 0xff);
      v = static_cast<T>(v >> 8);
    }
    out_->append(bytes, sizeof(T));
  }

  std::string owned_;
  std::string* out_ = &owned_;
  std::vector<splice>* splices_ = nullptr;
  std::size_t splice_min_size_ = 0;
};

// Size in bytes of the unsigned varint encoding of v.
constexpr std::size_t unsigned_varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
constexpr std::size_t varint_size(std::int64_t v) {
  return unsigned_varint_size((static_cast<std::uint64_t>(v) << 1) ^
                              static_cast<std::uint64_t>(v >> 63));
}

// CRC-32C (Castagnoli), as RecordBatch v2 uses; hardware-accelerated where the CPU has SSE4.2.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
inline std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) {
  return crc32c(data.data(), data.size(), crc);
}

}  // namespace wharf
