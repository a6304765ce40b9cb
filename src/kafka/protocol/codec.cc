// Length-prefixed values and tagged-field sections of the Kafka wire format (see codec.h).
#include "kafka/protocol/codec.h"

namespace wharf::kafka::protocol::codec {
namespace {

// Reads a classic (fixed-width) or compact (unsigned varint N+1) length. Returns -1 for
// the null marker, and fails the reader for other negative lengths or a disallowed null.
std::int64_t read_raw_length(byte_reader& in, bool compact, bool int16_prefix, bool nullable) {
  std::int64_t length;
  if (compact) {
    length = static_cast<std::int64_t>(in.read_unsigned_varint()) - 1;
  } else if (int16_prefix) {
    length = in.read_int16();
  } else {
    length = in.read_int32();
  }
  if (!in.ok()) return 0;
  if (length > 0x7fffffff) {
    in.fail("length does not fit in 31 bits");
    return 0;
  }
  if (length == -1) {
    if (!nullable) {
      in.fail("null value for a non-nullable field");
      return 0;
    }
    return -1;
  }
  if (length < 0) {
    in.fail("negative length");
    return 0;
  }
  return length;
}

}  // namespace

std::int32_t read_string_length(byte_reader& in, bool compact, bool nullable) {
  auto length = read_raw_length(in, compact, true, nullable);
  if (length > static_cast<std::int64_t>(max_string_length)) {
    in.fail("string longer than 32767 bytes");
    return 0;
  }
  if (length > static_cast<std::int64_t>(in.remaining())) {
    in.fail("string length exceeds the remaining input");
    return 0;
  }
  return static_cast<std::int32_t>(length);
}

std::int32_t read_bytes_length(byte_reader& in, bool compact, bool nullable) {
  auto length = read_raw_length(in, compact, false, nullable);
  if (length > static_cast<std::int64_t>(in.remaining())) {
    in.fail("bytes length exceeds the remaining input");
    return 0;
  }
  return static_cast<std::int32_t>(length);
}

std::int32_t read_array_length(byte_reader& in, bool compact, bool nullable,
                               std::size_t min_element_size) {
  auto count = read_raw_length(in, compact, false, nullable);
  if (count > 0 && static_cast<std::uint64_t>(count) >
                       in.remaining() / std::max<std::size_t>(min_element_size, 1)) {
    in.fail("array count cannot fit in the remaining input");
    return 0;
  }
  return static_cast<std::int32_t>(count);
}

void read_string(byte_reader& in, bool compact, std::string& out) {
  auto length = read_string_length(in, compact, false);
  out.assign(in.read_bytes(static_cast<std::size_t>(length)));
}

void read_string(byte_reader& in, bool compact, bool nullable, std::optional<std::string>& out) {
  auto length = read_string_length(in, compact, nullable);
  if (length < 0) {
    out.reset();
    return;
  }
  out.emplace(in.read_bytes(static_cast<std::size_t>(length)));
}

void read_bytes(byte_reader& in, bool compact, std::string& out) {
  auto length = read_bytes_length(in, compact, false);
  out.assign(in.read_bytes(static_cast<std::size_t>(length)));
}

void read_bytes(byte_reader& in, bool compact, bool nullable, std::optional<std::string>& out) {
  auto length = read_bytes_length(in, compact, nullable);
  if (length < 0) {
    out.reset();
    return;
  }
  out.emplace(in.read_bytes(static_cast<std::size_t>(length)));
}

void read_records(byte_reader& in, bool compact, bool nullable,
                  std::optional<std::string_view>& out) {
  auto length = read_bytes_length(in, compact, nullable);
  if (length < 0) {
    out.reset();
    return;
  }
  out = in.read_bytes(static_cast<std::size_t>(length));
}

void read_uuid(byte_reader& in, uuid& out) {
  auto bytes = in.read_bytes(out.size());
  if (!in.ok()) {
    out = {};
    return;
  }
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(out.data()));
}

namespace {

void write_length(byte_writer& out, bool compact, bool int16_prefix, std::size_t length) {
  if (compact) {
    out.write_unsigned_varlong(static_cast<std::uint64_t>(length) + 1);
  } else if (int16_prefix) {
    out.write_int16(static_cast<std::int16_t>(length));
  } else {
    out.write_int32(static_cast<std::int32_t>(length));
  }
}

void write_null(byte_writer& out, bool compact, bool int16_prefix) {
  if (compact) {
    out.write_unsigned_varint(0);
  } else if (int16_prefix) {
    out.write_int16(-1);
  } else {
    out.write_int32(-1);
  }
}

}  // namespace

void write_string(byte_writer& out, bool compact, std::string_view value) {
  // Kafka refuses longer strings; cutting one keeps the frame well formed.
  value = value.substr(0, max_string_length);
  write_length(out, compact, true, value.size());
  out.write_bytes(value);
}

void write_string(byte_writer& out, bool compact, bool nullable,
                  const std::optional<std::string>& value) {
  if (value) {
    write_string(out, compact, *value);
  } else if (nullable) {
    write_null(out, compact, true);
  } else {
    write_length(out, compact, true, 0);
  }
}

void write_bytes(byte_writer& out, bool compact, std::string_view value) {
  write_length(out, compact, false, value.size());
  out.write_bytes(value);
}

void write_bytes(byte_writer& out, bool compact, bool nullable,
                 const std::optional<std::string>& value) {
  if (value) {
    write_length(out, compact, false, value->size());
    out.write_large(*value);
  } else if (nullable) {
    write_null(out, compact, false);
  } else {
    write_length(out, compact, false, 0);
  }
}

void write_records(byte_writer& out, bool compact, bool nullable,
                   const std::optional<std::string_view>& value) {
  if (value) {
    write_length(out, compact, false, value->size());
    out.write_large(*value);
  } else if (nullable) {
    write_null(out, compact, false);
  } else {
    write_length(out, compact, false, 0);
  }
}

void write_uuid(byte_writer& out, const uuid& value) {
  out.write_bytes(std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
}

void write_array_length(byte_writer& out, bool compact, std::size_t size) {
  write_length(out, compact, false, size);
}

void write_null_array(byte_writer& out, bool compact) { write_null(out, compact, false); }

void read_tagged_fields(byte_reader& in, std::int16_t version, tagged_fields& unknown,
                        tag_decoder decode_known, void* object) {
  auto count = in.read_unsigned_varint();
  // Each field takes at least two bytes (tag and size), so a failed or short reader ends
  // the loop long before a huge claimed count matters.
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) {
    auto tag = in.read_unsigned_varint();
    auto size = in.read_unsigned_varint();
    auto bytes = in.read_bytes(size);
    if (!in.ok()) return;
    if (decode_known) {
      byte_reader field(bytes);
      if (decode_known(object, tag, field, version)) {
        if (!field.ok() || !field.at_end()) in.fail("malformed tagged field");
        continue;
      }
    }
    unknown.push_back(tagged_field{tag, std::string(bytes)});
  }
}

namespace {

void write_one(byte_writer& out, const tagged_field& field) {
  out.write_unsigned_varint(field.tag);
  out.write_unsigned_varint(static_cast<std::uint32_t>(field.data.size()));
  out.write_bytes(field.data);
}

}  // namespace

void write_tagged_fields(byte_writer& out, const tagged_fields& unknown) {
  out.write_unsigned_varint(static_cast<std::uint32_t>(unknown.size()));
  for (const auto& field : unknown) write_one(out, field);
}

void write_tagged_fields(byte_writer& out, const tagged_fields& known,
                         const tagged_fields& unknown) {
  out.write_unsigned_varint(static_cast<std::uint32_t>(known.size() + unknown.size()));
  // Known fields are in ascending tag order; an unknown field goes before the first known
  // field with a larger tag, so a section decoded in order is written back in order.
  std::size_t k = 0;
  for (const auto& field : unknown) {
    while (k < known.size() && known[k].tag < field.tag) write_one(out, known[k++]);
    write_one(out, field);
  }
  while (k < known.size()) write_one(out, known[k++]);
}

}  // namespace wharf::kafka::protocol::codec
