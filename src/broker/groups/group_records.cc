#include "broker/groups/group_records.h"

#include "base/bytes.h"
#include "kafka/protocol/codec.h"

namespace wharf::broker::groups {

namespace codec = kafka::protocol::codec;

namespace {

constexpr std::int16_t offset_commit_key_type = 1;
constexpr std::int16_t group_metadata_key_type = 2;
constexpr std::int16_t highest_value_version = 4;  // first (and only) flexible version: 4

void write_string(byte_writer& out, std::string_view s) { codec::write_string(out, false, s); }

void write_nullable_string(byte_writer& out, const std::optional<std::string>& s) {
  codec::write_string(out, false, true, s);
}

void write_bytes(byte_writer& out, std::string_view b) { codec::write_bytes(out, false, b); }

// Skips a flexible struct's tagged-field section; none of them are ours to interpret.
void skip_tagged_fields(byte_reader& in) {
  auto count = in.read_unsigned_varint();
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) {
    (void)in.read_unsigned_varint();  // tag
    in.skip(in.read_unsigned_varint());
  }
}

std::string read_nonnull_string(byte_reader& in, bool compact) {
  std::string out;
  codec::read_string(in, compact, out);
  return out;
}

std::optional<std::string> read_nullable_string(byte_reader& in, bool compact) {
  std::optional<std::string> out;
  codec::read_string(in, compact, true, out);
  return out;
}

std::string read_bytes(byte_reader& in, bool compact) {
  std::string out;
  codec::read_bytes(in, compact, out);
  return out;
}

error malformed(const char* what, const byte_reader& in) {
  return make_error(errc::parse_error, "malformed {}: {}", what,
                    in.ok() ? "unexpected version" : in.error());
}

}  // namespace

std::string encode_key(const offset_commit_key& key) {
  std::string out;
  byte_writer w(out);
  w.write_int16(offset_commit_key_type);
  write_string(w, key.group);
  write_string(w, key.topic);
  w.write_int32(key.partition);
  return out;
}

std::string encode_key(const group_metadata_key& key) {
  std::string out;
  byte_writer w(out);
  w.write_int16(group_metadata_key_type);
  write_string(w, key.group);
  return out;
}

std::string encode_value(const offset_commit_value& value) {
  std::string out;
  byte_writer w(out);
  if (value.expire_timestamp) {
    // Version 1 is the only one with an expire timestamp (explicit retention).
    w.write_int16(1);
    w.write_int64(value.offset);
    write_string(w, value.metadata);
    w.write_int64(value.commit_timestamp);
    w.write_int64(*value.expire_timestamp);
  } else {
    w.write_int16(3);
    w.write_int64(value.offset);
    w.write_int32(value.leader_epoch);
    write_string(w, value.metadata);
    w.write_int64(value.commit_timestamp);
  }
  return out;
}

std::string encode_value(const group_metadata_value& value) {
  std::string out;
  byte_writer w(out);
  w.write_int16(3);
  write_string(w, value.protocol_type);
  w.write_int32(value.generation);
  write_nullable_string(w, value.protocol);
  write_nullable_string(w, value.leader);
  w.write_int64(value.current_state_timestamp);
  w.write_int32(static_cast<std::int32_t>(value.members.size()));
  for (const auto& m : value.members) {
    write_string(w, m.member_id);
    write_nullable_string(w, m.group_instance_id);
    write_string(w, m.client_id);
    write_string(w, m.client_host);
    w.write_int32(m.rebalance_timeout_ms);
    w.write_int32(m.session_timeout_ms);
    write_bytes(w, m.subscription);
    write_bytes(w, m.assignment);
  }
  return out;
}

result<record_key> decode_key(std::string_view bytes) {
  byte_reader in(bytes);
  auto type = in.read_int16();
  if (!in.ok()) return malformed("record key", in);
  if (type == 0 || type == 1) {
    offset_commit_key key;
    key.group = read_nonnull_string(in, false);
    key.topic = read_nonnull_string(in, false);
    key.partition = in.read_int32();
    if (!in.ok()) return malformed("offset commit key", in);
    return record_key(std::move(key));
  }
  if (type == 2) {
    group_metadata_key key;
    key.group = read_nonnull_string(in, false);
    if (!in.ok()) return malformed("group metadata key", in);
    return record_key(std::move(key));
  }
  return record_key(other_record_key{type});
}

result<offset_commit_value> decode_offset_commit_value(std::string_view bytes) {
  byte_reader in(bytes);
  auto version = in.read_int16();
  if (!in.ok() || version < 0 || version > highest_value_version) {
    return malformed("offset commit value", in);
  }
  bool flexible = version >= 4;
  offset_commit_value v;
  v.offset = in.read_int64();
  if (version >= 3) v.leader_epoch = in.read_int32();
  v.metadata = read_nonnull_string(in, flexible);
  v.commit_timestamp = in.read_int64();
  if (version == 1) v.expire_timestamp = in.read_int64();
  if (flexible) skip_tagged_fields(in);
  if (!in.ok()) return malformed("offset commit value", in);
  return v;
}

result<group_metadata_value> decode_group_metadata_value(std::string_view bytes) {
  byte_reader in(bytes);
  auto version = in.read_int16();
  if (!in.ok() || version < 0 || version > highest_value_version) {
    return malformed("group metadata value", in);
  }
  bool flexible = version >= 4;
  group_metadata_value v;
  v.protocol_type = read_nonnull_string(in, flexible);
  v.generation = in.read_int32();
  v.protocol = read_nullable_string(in, flexible);
  v.leader = read_nullable_string(in, flexible);
  if (version >= 2) v.current_state_timestamp = in.read_int64();
  // A member takes at least 4 length prefixes and two int32s even when every string is empty.
  auto count = codec::read_array_length(in, flexible, false, 16);
  for (std::int32_t i = 0; i < count && in.ok(); ++i) {
    group_member_record m;
    m.member_id = read_nonnull_string(in, flexible);
    if (version >= 3) m.group_instance_id = read_nullable_string(in, flexible);
    m.client_id = read_nonnull_string(in, flexible);
    m.client_host = read_nonnull_string(in, flexible);
    m.rebalance_timeout_ms = version >= 1 ? in.read_int32() : 0;
    m.session_timeout_ms = in.read_int32();
    if (version == 0) m.rebalance_timeout_ms = m.session_timeout_ms;
    m.subscription = read_bytes(in, flexible);
    m.assignment = read_bytes(in, flexible);
    if (flexible) skip_tagged_fields(in);
    v.members.push_back(std::move(m));
  }
  if (flexible) skip_tagged_fields(in);
  if (!in.ok()) return malformed("group metadata value", in);
  return v;
}

std::int32_t java_string_hash(std::string_view utf8) {
  // Java's String.hashCode: h = 31 * h + c over the UTF-16 code units, in int32 arithmetic
  // (wrapping, done here in uint32 to stay defined).
  std::uint32_t h = 0;
  auto add_unit = [&h](std::uint32_t unit) { h = 31 * h + unit; };
  auto add_code_point = [&](std::uint32_t cp) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add_unit(0xD800 + (cp >> 10));
      add_unit(0xDC00 + (cp & 0x3FF));
    } else {
      add_unit(cp);
    }
  };
  constexpr std::uint32_t replacement = 0xFFFD;
  std::size_t i = 0;
  const auto n = utf8.size();
  auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(utf8[k]); };
  while (i < n) {
    auto b0 = byte(i);
    std::size_t length;
    std::uint32_t cp;
    std::uint32_t min;
    if (b0 < 0x80) {
      add_unit(b0);
      ++i;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      length = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      length = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      length = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      add_unit(replacement);
      ++i;
      continue;
    }
    std::size_t k = 1;
    for (; k < length && i + k < n && (byte(i + k) & 0xC0) == 0x80; ++k) {
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (k < length || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      // A malformed sequence: one replacement character for its valid-looking prefix.
      add_unit(replacement);
      i += k;
      continue;
    }
    add_code_point(cp);
    i += length;
  }
  return static_cast<std::int32_t>(h);
}

std::int32_t partition_for_group(std::string_view group_id, std::int32_t partition_count) {
  if (partition_count <= 0) return 0;
  auto h = java_string_hash(group_id);
  // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 rather than staying negative.
  std::int32_t positive = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
  return positive % partition_count;
}

}  // namespace wharf::broker::groups
