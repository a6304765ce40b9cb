// Round-trip testing of generated messages: fill every field with a non-default value
// (fill_value; the generated tests/generated/round_trip_cases_*.cc add one overload per
// struct), encode, decode, re-encode and compare. Kept free of GoogleTest so that the
// generated files compile quickly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/codec.h"

namespace wharf::kafka::protocol {

enum class fill_mode {
  defaults,  // a default-constructed message
  values,    // every field set, nullable ones to a value
  nulls,     // every field set, nullable ones to null
};

struct fill_context {
  std::uint32_t counter = 0;
  bool nulls = false;
};

// Values differ from field to field (and from typical defaults such as 0 and -1).
template <typename Int>
Int next_value(fill_context& c) {
  return static_cast<Int>(++c.counter * 7 + 3);
}

inline void fill_value(bool& v, fill_context&) { v = true; }
inline void fill_value(std::int8_t& v, fill_context& c) { v = next_value<std::int8_t>(c); }
inline void fill_value(std::int16_t& v, fill_context& c) { v = next_value<std::int16_t>(c); }
inline void fill_value(std::uint16_t& v, fill_context& c) { v = next_value<std::uint16_t>(c); }
inline void fill_value(std::int32_t& v, fill_context& c) { v = next_value<std::int32_t>(c); }
inline void fill_value(std::uint32_t& v, fill_context& c) { v = next_value<std::uint32_t>(c); }
inline void fill_value(std::int64_t& v, fill_context& c) {
  v = (std::int64_t{1} << 40) + next_value<std::int64_t>(c);
}
inline void fill_value(double& v, fill_context& c) { v = 0.5 + next_value<std::int32_t>(c); }
inline void fill_value(uuid& v, fill_context& c) {
  for (auto& byte : v) byte = next_value<std::uint8_t>(c);
}
inline void fill_value(std::string& v, fill_context& c) {
  v = "value-" + std::to_string(next_value<std::uint32_t>(c));
}
// Records: any bytes do (the codec does not look inside).
inline void fill_value(std::optional<std::string_view>& v, fill_context& c) {
  if (c.nulls) {
    v.reset();
  } else {
    v = std::string_view("\x00\x01record-batch-bytes", 20);
  }
}

template <typename T>
void fill_value(std::vector<T>& v, fill_context& c) {
  v.resize(2);
  for (auto& element : v) fill_value(element, c);
}

template <typename T>
void fill_value(std::optional<T>& v, fill_context& c) {
  if (c.nulls) {
    v.reset();
  } else {
    fill_value(v.emplace(), c);
  }
}

// The bytes of a message filled per mode.
template <typename Message>
std::string encode_filled(std::int16_t version, fill_mode mode) {
  Message original;
  if (mode != fill_mode::defaults) {
    fill_context context;
    context.nulls = mode == fill_mode::nulls;
    fill_value(original, context);
  }
  std::string out;
  byte_writer writer(out);
  original.encode(writer, version);
  return out;
}

// Encodes a message filled per mode, decodes it and re-encodes it; true when the decoder
// consumed everything and both encodings are identical, else why says what went wrong.
template <typename Message>
bool round_trip(std::int16_t version, fill_mode mode, std::string* why) {
  auto first = encode_filled<Message>(version, mode);

  Message decoded;
  byte_reader reader(first);
  if (!decoded.decode(reader, version)) {
    *why = std::string("decode failed: ") + reader.error();
    return false;
  }
  if (!reader.at_end()) {
    *why = std::to_string(reader.remaining()) + " bytes left over after decoding";
    return false;
  }
  std::string second;
  byte_writer second_writer(second);
  decoded.encode(second_writer, version);
  if (first != second) {
    *why = "re-encoding differs: " + std::to_string(first.size()) + " vs " +
           std::to_string(second.size()) + " bytes";
    return false;
  }
  Message again;
  byte_reader again_reader(second);
  if (!again.decode(again_reader, version) || !(again == decoded)) {
    *why = "decoding the re-encoded bytes gives a different message";
    return false;
  }
  return true;
}

// Decodes bytes (all of them) as Message and re-encodes them into out; false with why
// set when they do not decode or bytes are left over.
template <typename Message>
bool decode_and_reencode(std::int16_t version, std::string_view bytes, std::string* out,
                         std::string* why) {
  Message message;
  byte_reader reader(bytes);
  if (!message.decode(reader, version)) {
    *why = std::string("decode failed: ") + reader.error();
    return false;
  }
  if (!reader.at_end()) {
    *why = std::to_string(reader.remaining()) + " bytes left over after decoding";
    return false;
  }
  byte_writer writer(*out);
  message.encode(writer, version);
  return true;
}

using round_trip_fn = bool (*)(std::int16_t version, fill_mode mode, std::string* why);
using reencode_fn = bool (*)(std::int16_t version, std::string_view bytes, std::string* out,
                             std::string* why);
using encode_filled_fn = std::string (*)(std::int16_t version, fill_mode mode);

struct round_trip_case {
  std::string_view name;        // e.g. "metadata_request"
  std::string_view kafka_name;  // e.g. "MetadataRequest"
  std::int16_t lowest_version;
  std::int16_t highest_version;
  round_trip_fn run;
  encode_filled_fn encode;
  reencode_fn reencode;
};

// The case of a message by its Kafka name ("MetadataRequest"), or nullptr.
const round_trip_case* find_round_trip_case(std::string_view kafka_name);

// Every generated message (defined in tests/generated/round_trip_cases.cc).
const std::vector<round_trip_case>& round_trip_cases();

}  // namespace wharf::kafka::protocol
