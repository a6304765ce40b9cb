// Shared building blocks of the generated Kafka message codec: the value types the
// messages use (uuid, tagged fields) and the readers/writers for strings, bytes, records,
// arrays, nullable structs and tagged-field sections in both the classic and the compact
// (flexible-version) encodings. The generated code calls these instead of expanding the
// logic per field and per version, which keeps it small and quick to compile.
//
// Decoding never throws and never trusts a length: a negative length that is not a
// permitted null marker, a length beyond the remaining input, an array whose claimed
// count cannot fit in the remaining bytes, or a bad varint fails the byte_reader (sticky),
// and the decoders stop early. Memory is only allocated for elements actually decoded.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace wharf::kafka::protocol {

// Kafka's Uuid: 16 bytes, most significant first, as on the wire.
using uuid = std::array<std::uint8_t, 16>;

// A tagged field a decoder does not know (a newer peer's extension): kept as raw bytes
// so that re-encoding the message writes it back unchanged.
struct tagged_field {
  std::uint32_t tag = 0;
  std::string data;
  bool operator==(const tagged_field&) const = default;
};
using tagged_fields = std::vector<tagged_field>;

namespace codec {

// Kafka refuses strings longer than this in either encoding.
inline constexpr std::size_t max_string_length = 0x7fff;

// Length prefixes. Each returns -1 for null and otherwise a length that fits the remaining
// input; null where nullable is false, any other negative length and a length beyond the
// input fail the reader (and return 0).
std::int32_t read_string_length(byte_reader& in, bool compact, bool nullable);
std::int32_t read_bytes_length(byte_reader& in, bool compact, bool nullable);
// For arrays, the count must fit the remaining input at min_element_size bytes each.
std::int32_t read_array_length(byte_reader& in, bool compact, bool nullable,
                               std::size_t min_element_size);

void read_string(byte_reader& in, bool compact, std::string& out);
void read_string(byte_reader& in, bool compact, bool nullable, std::optional<std::string>& out);
void read_bytes(byte_reader& in, bool compact, std::string& out);
void read_bytes(byte_reader& in, bool compact, bool nullable, std::optional<std::string>& out);
// Records are borrowed: the view points into the reader's input, which must outlive it.
void read_records(byte_reader& in, bool compact, bool nullable,
                  std::optional<std::string_view>& out);
void read_uuid(byte_reader& in, uuid& out);

// Writers. A null value in a version where the field is not nullable is written as empty,
// and a string is cut to 32767 bytes (Kafka would refuse to serialise either; encoding
// cannot fail, so it writes the nearest well-formed frame instead).
void write_string(byte_writer& out, bool compact, std::string_view value);
void write_string(byte_writer& out, bool compact, bool nullable,
                  const std::optional<std::string>& value);
void write_bytes(byte_writer& out, bool compact, std::string_view value);
void write_bytes(byte_writer& out, bool compact, bool nullable,
                 const std::optional<std::string>& value);
void write_records(byte_writer& out, bool compact, bool nullable,
                   const std::optional<std::string_view>& value);
void write_uuid(byte_writer& out, const uuid& value);
void write_array_length(byte_writer& out, bool compact, std::size_t size);
void write_null_array(byte_writer& out, bool compact);

// Array elements: primitives, strings, and (templated) generated structs.
inline void read_element(byte_reader& in, bool, std::int16_t, std::int8_t& v) {
  v = in.read_int8();
}
inline void read_element(byte_reader& in, bool, std::int16_t, std::int16_t& v) {
  v = in.read_int16();
}
inline void read_element(byte_reader& in, bool, std::int16_t, std::uint16_t& v) {
  v = in.read_uint16();
}
inline void read_element(byte_reader& in, bool, std::int16_t, std::int32_t& v) {
  v = in.read_int32();
}
inline void read_element(byte_reader& in, bool, std::int16_t, std::uint32_t& v) {
  v = in.read_uint32();
}
inline void read_element(byte_reader& in, bool, std::int16_t, std::int64_t& v) {
  v = in.read_int64();
}
inline void read_element(byte_reader& in, bool, std::int16_t, double& v) { v = in.read_float64(); }
inline void read_element(byte_reader& in, bool, std::int16_t, uuid& v) { read_uuid(in, v); }
inline void read_element(byte_reader& in, bool compact, std::int16_t, std::string& v) {
  read_string(in, compact, v);
}
template <typename Struct>
void read_element(byte_reader& in, bool, std::int16_t version, Struct& v) {
  v.decode(in, version);
}

inline void write_element(byte_writer& out, bool, std::int16_t, std::int8_t v) {
  out.write_int8(v);
}
inline void write_element(byte_writer& out, bool, std::int16_t, std::int16_t v) {
  out.write_int16(v);
}
inline void write_element(byte_writer& out, bool, std::int16_t, std::uint16_t v) {
  out.write_uint16(v);
}
inline void write_element(byte_writer& out, bool, std::int16_t, std::int32_t v) {
  out.write_int32(v);
}
inline void write_element(byte_writer& out, bool, std::int16_t, std::uint32_t v) {
  out.write_uint32(v);
}
inline void write_element(byte_writer& out, bool, std::int16_t, std::int64_t v) {
  out.write_int64(v);
}
inline void write_element(byte_writer& out, bool, std::int16_t, double v) { out.write_float64(v); }
inline void write_element(byte_writer& out, bool, std::int16_t, const uuid& v) {
  write_uuid(out, v);
}
inline void write_element(byte_writer& out, bool compact, std::int16_t, const std::string& v) {
  write_string(out, compact, v);
}
template <typename Struct>
void write_element(byte_writer& out, bool, std::int16_t version, const Struct& v) {
  v.encode(out, version);
}

// Decodes count elements, growing the vector as they arrive (never by the claimed count
// alone), and stops at the first failure.
template <typename T>
void read_elements(byte_reader& in, bool compact, std::int16_t version, std::int32_t count,
                   std::vector<T>& out) {
  out.clear();
  out.reserve(static_cast<std::size_t>(std::clamp<std::int32_t>(count, 0, 64)));
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    read_element(in, compact, version, out.emplace_back());
  }
}

template <typename T>
void read_array(byte_reader& in, bool compact, std::size_t min_element_size, std::int16_t version,
                std::vector<T>& out) {
  read_elements(in, compact, version, read_array_length(in, compact, false, min_element_size), out);
}

template <typename T>
void read_array(byte_reader& in, bool compact, bool nullable, std::size_t min_element_size,
                std::int16_t version, std::optional<std::vector<T>>& out) {
  auto count = read_array_length(in, compact, nullable, min_element_size);
  if (count < 0) {
    out.reset();
    return;
  }
  read_elements(in, compact, version, count, out.emplace());
}

template <typename T>
void write_array(byte_writer& out, bool compact, std::int16_t version,
                 const std::vector<T>& values) {
  write_array_length(out, compact, values.size());
  for (const auto& v : values) write_element(out, compact, version, v);
}

template <typename T>
void write_array(byte_writer& out, bool compact, bool nullable, std::int16_t version,
                 const std::optional<std::vector<T>>& values) {
  if (values) {
    write_array(out, compact, version, *values);
  } else if (nullable) {
    write_null_array(out, compact);
  } else {
    write_array_length(out, compact, 0);
  }
}

// A struct field that is nullable in some versions: a signed byte marker (negative for
// null, 1 for present) precedes it in those versions.
template <typename Struct>
void read_struct(byte_reader& in, bool nullable, std::int16_t version, std::optional<Struct>& out) {
  if (nullable && in.read_int8() < 0) {
    out.reset();
    return;
  }
  out.emplace().decode(in, version);
}

template <typename Struct>
void write_struct(byte_writer& out, bool nullable, std::int16_t version,
                  const std::optional<Struct>& value) {
  if (nullable) {
    out.write_int8(value ? 1 : -1);
    if (value) value->encode(out, version);
  } else if (value) {
    value->encode(out, version);
  } else {
    Struct{}.encode(out, version);
  }
}

// A tagged struct field that is nullable: an unsigned varint marker (0 for null, 1 for
// present) precedes it.
template <typename Struct>
void read_tagged_struct(byte_reader& in, std::int16_t version, std::optional<Struct>& out) {
  if (in.read_unsigned_varint() == 0) {
    out.reset();
    return;
  }
  out.emplace().decode(in, version);
}

template <typename Struct>
void write_tagged_struct(byte_writer& out, std::int16_t version,
                         const std::optional<Struct>& value) {
  out.write_unsigned_varint(value ? 1 : 0);
  if (value) value->encode(out, version);
}

// Decodes the tagged field with a tag known in this version from `field` (exactly its
// bytes) into the object; returns false when the tag is not one it knows.
using tag_decoder = bool (*)(void* object, std::uint32_t tag, byte_reader& field,
                             std::int16_t version);

// Reads a tagged-field section: known tags through decode_known (which must consume the
// field's bytes exactly), the rest into unknown in the order received.
void read_tagged_fields(byte_reader& in, std::int16_t version, tagged_fields& unknown,
                        tag_decoder decode_known = nullptr, void* object = nullptr);

// Writes a tagged-field section: the known fields (ascending tags, already encoded)
// merged with the unknown ones by tag.
void write_tagged_fields(byte_writer& out, const tagged_fields& unknown);
void write_tagged_fields(byte_writer& out, const tagged_fields& known,
                         const tagged_fields& unknown);

}  // namespace codec
}  // namespace wharf::kafka::protocol
