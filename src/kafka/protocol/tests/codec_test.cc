// Unit tests of the codec building blocks and of generated messages on hand-made bytes:
// classic vs compact encodings, nulls, tagged fields, spec defaults, and malformed input
// that must fail cleanly (never crash, never allocate by a claimed length alone).
#include <gtest/gtest.h>

#include <string>

#include "kafka/protocol/codec.h"
#include "kafka/protocol/generated/api_keys.h"
#include "kafka/protocol/generated/api_versions.h"
#include "kafka/protocol/generated/consumer_group_heartbeat.h"
#include "kafka/protocol/generated/fetch.h"
#include "kafka/protocol/generated/metadata.h"
#include "kafka/protocol/generated/produce.h"

namespace wharf::kafka::protocol {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

template <typename Message>
std::string encode(const Message& message, std::int16_t version) {
  std::string out;
  byte_writer writer(out);
  message.encode(writer, version);
  return out;
}

TEST(Codec, StringsClassicAndCompact) {
  std::string out;
  byte_writer writer(out);
  codec::write_string(writer, false, "abc");
  codec::write_string(writer, true, "abc");
  codec::write_string(writer, false, true, std::nullopt);
  codec::write_string(writer, true, true, std::nullopt);
  EXPECT_EQ(out, bytes({0, 3, 'a', 'b', 'c', 4, 'a', 'b', 'c', 0xff, 0xff, 0}));

  byte_reader reader(out);
  std::string s;
  std::optional<std::string> n = "x";
  codec::read_string(reader, false, s);
  EXPECT_EQ(s, "abc");
  codec::read_string(reader, true, s);
  EXPECT_EQ(s, "abc");
  codec::read_string(reader, false, true, n);
  EXPECT_FALSE(n.has_value());
  n = "x";
  codec::read_string(reader, true, true, n);
  EXPECT_FALSE(n.has_value());
  EXPECT_TRUE(reader.ok());
  EXPECT_TRUE(reader.at_end());
}

TEST(Codec, NullWhereNotNullableFails) {
  std::string s;
  const auto classic_input = bytes({0xff, 0xff});
  byte_reader classic(classic_input);
  codec::read_string(classic, false, s);
  EXPECT_FALSE(classic.ok());
  const auto compact_input = bytes({0});
  byte_reader compact(compact_input);
  codec::read_string(compact, true, s);
  EXPECT_FALSE(compact.ok());
}

TEST(Codec, NegativeLengthsOtherThanNullFail) {
  std::optional<std::string> s;
  const auto string_reader_input = bytes({0xff, 0xfe, 'a'});
  byte_reader string_reader(string_reader_input);
  codec::read_string(string_reader, false, true, s);
  EXPECT_FALSE(string_reader.ok());

  const auto bytes_reader_input = bytes({0xff, 0xff, 0xff, 0xfe});

  byte_reader bytes_reader(bytes_reader_input);
  codec::read_bytes(bytes_reader, false, true, s);
  EXPECT_FALSE(bytes_reader.ok());

  std::optional<std::vector<std::int32_t>> array;
  const auto array_reader_input = bytes({0x80, 0, 0, 0});
  byte_reader array_reader(array_reader_input);
  codec::read_array(array_reader, false, true, 4, 0, array);
  EXPECT_FALSE(array_reader.ok());
}

TEST(Codec, LengthsBeyondTheInputFail) {
  std::string s;
  const auto string_reader_input = bytes({0, 5, 'a', 'b'});
  byte_reader string_reader(string_reader_input);
  codec::read_string(string_reader, false, s);
  EXPECT_FALSE(string_reader.ok());

  const auto compact_reader_input = bytes({0x7f, 'a'});

  byte_reader compact_reader(compact_reader_input);
  codec::read_bytes(compact_reader, true, s);
  EXPECT_FALSE(compact_reader.ok());

  std::optional<std::string_view> records;
  const auto records_reader_input = bytes({0x7f, 0xff, 0xff, 0xff, 1, 2, 3});
  byte_reader records_reader(records_reader_input);
  codec::read_records(records_reader, false, true, records);
  EXPECT_FALSE(records_reader.ok());
}

TEST(Codec, StringsAreCappedAt32767Bytes) {
  std::string input;
  byte_writer writer(input);
  writer.write_unsigned_varint(0x8000 + 1);  // compact length 32768
  input.append(0x8000, 'x');
  byte_reader reader(input);
  std::string s;
  codec::read_string(reader, true, s);
  EXPECT_FALSE(reader.ok());
}

TEST(Codec, OverlongStringsAreCutWhenWritten) {
  std::string out;
  byte_writer writer(out);
  codec::write_string(writer, false, std::string(40000, 'x'));
  byte_reader reader(out);
  std::string s;
  codec::read_string(reader, false, s);
  EXPECT_TRUE(reader.ok());
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(s.size(), 32767u);
}

TEST(Codec, ArrayCountsThatCannotFitFailBeforeAllocating) {
  // 2^31-1 structs claimed, three bytes of input: must fail without reserving anything.
  std::vector<metadata_request::metadata_request_topic> topics;
  const auto classic_input = bytes({0x7f, 0xff, 0xff, 0xff, 0, 1, 'a'});
  byte_reader classic(classic_input);
  codec::read_array(classic, false, 2, 0, topics);
  EXPECT_FALSE(classic.ok());
  EXPECT_TRUE(topics.empty());
  EXPECT_EQ(topics.capacity(), 0u);

  std::vector<std::int64_t> offsets;
  const auto compact_input = bytes({0x05, 0, 0, 0, 0, 0, 0, 0, 1});
  byte_reader compact(compact_input);  // 4 int64s claimed, 9 bytes
  codec::read_array(compact, true, 8, 0, offsets);
  EXPECT_FALSE(compact.ok());
}

TEST(Codec, BadVarintsFail) {
  std::string s;
  const auto too_long_input = bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  byte_reader too_long(too_long_input);
  codec::read_string(too_long, true, s);
  EXPECT_FALSE(too_long.ok());
  const auto truncated_input = bytes({0x80});
  byte_reader truncated(truncated_input);
  codec::read_string(truncated, true, s);
  EXPECT_FALSE(truncated.ok());
}

TEST(Codec, UnknownTaggedFieldsArePreservedInOrder) {
  // ApiVersions v3 request: client software name "a", version "1", then two tagged
  // fields this version does not know (tags 5 and 9).
  auto input = bytes({2, 'a', 2, '1', 2, 5, 2, 0xaa, 0xbb, 9, 0});
  api_versions_request request;
  byte_reader reader(input);
  ASSERT_TRUE(request.decode(reader, 3));
  EXPECT_TRUE(reader.at_end());
  ASSERT_EQ(request.unknown_tagged_fields.size(), 2u);
  EXPECT_EQ(request.unknown_tagged_fields[0].tag, 5u);
  EXPECT_EQ(request.unknown_tagged_fields[0].data, bytes({0xaa, 0xbb}));
  EXPECT_EQ(request.unknown_tagged_fields[1].tag, 9u);
  EXPECT_EQ(encode(request, 3), input);
}

TEST(Codec, KnownTaggedFieldsAreDecodedAndWrittenOnlyWhenNotDefault) {
  fetch_request request;
  request.replica_id = 7;  // not a tagged field, just to tell the bytes apart
  auto without = encode(request, 12);
  request.cluster_id = "cluster";
  auto with = encode(request, 12);
  // Tag 0, size 8, compact string "cluster": 10 more bytes in the top-level section.
  EXPECT_EQ(with.size(), without.size() + 10);
  EXPECT_EQ(with.substr(with.size() - 11), bytes({1, 0, 8, 8, 'c', 'l', 'u', 's', 't', 'e', 'r'}));

  fetch_request decoded;
  byte_reader reader(with);
  ASSERT_TRUE(decoded.decode(reader, 12));
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(decoded.cluster_id, "cluster");
  EXPECT_TRUE(decoded.unknown_tagged_fields.empty());
  EXPECT_EQ(encode(decoded, 12), with);

  // In v11 (not flexible) the tagged field does not exist.
  EXPECT_EQ(encode(request, 11).size(), encode(fetch_request{}, 11).size());
}

TEST(Codec, KnownTaggedFieldWithWrongSizeFails) {
  api_versions_response response;
  response.finalized_features_epoch = 5;
  auto good = encode(response, 3);
  // The section is [count=1, tag=1, size=8, int64]: claim 9 bytes and add one.
  auto bad = good.substr(0, good.size() - 10) + bytes({1, 9}) + good.substr(good.size() - 8) +
             std::string(1, '\0');
  api_versions_response decoded;
  byte_reader reader(bad);
  EXPECT_FALSE(decoded.decode(reader, 3));
}

TEST(Codec, NullableStructsUseASignedByteMarker) {
  consumer_group_heartbeat_response response;
  EXPECT_FALSE(response.assignment.has_value());  // the spec's default is null
  auto null_bytes = encode(response, 0);
  response.assignment.emplace();
  auto present_bytes = encode(response, 0);
  // The marker is the byte before the top-level tagged section (an empty one: 0).
  EXPECT_EQ(null_bytes.substr(null_bytes.size() - 2), bytes({0xff, 0}));
  // Present: marker 1, an empty compact array (1), its tagged section (0), then ours.
  EXPECT_EQ(present_bytes.substr(present_bytes.size() - 4), bytes({1, 1, 0, 0}));

  consumer_group_heartbeat_response decoded;
  byte_reader reader(present_bytes);
  ASSERT_TRUE(decoded.decode(reader, 0));
  ASSERT_TRUE(decoded.assignment.has_value());
  EXPECT_TRUE(decoded.assignment->topic_partitions.empty());
}

TEST(Codec, NullableTaggedStructsUseAVarintMarker) {
  // No spec has one yet; the helpers follow Kafka's generator (0: null, 1: present).
  using leader = fetch_response::leader_id_and_epoch;
  std::optional<leader> value;
  std::string out;
  byte_writer writer(out);
  codec::write_tagged_struct(writer, 12, value);
  value.emplace().leader_id = 3;
  codec::write_tagged_struct(writer, 12, value);
  byte_reader reader(out);
  std::optional<leader> first{std::in_place}, second;
  codec::read_tagged_struct(reader, 12, first);
  codec::read_tagged_struct(reader, 12, second);
  EXPECT_TRUE(reader.ok());
  EXPECT_TRUE(reader.at_end());
  EXPECT_FALSE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->leader_id, 3);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 1);
}

TEST(Codec, RecordsAreBorrowedFromTheInput) {
  produce_request request;
  auto& topic = request.topic_data.emplace_back();
  topic.name = "t";
  auto& partition = topic.partition_data.emplace_back();
  partition.records = std::string_view("batch-bytes");
  auto wire = encode(request, 9);

  produce_request decoded;
  byte_reader reader(wire);
  ASSERT_TRUE(decoded.decode(reader, 9));
  const auto& records = decoded.topic_data.at(0).partition_data.at(0).records;
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(*records, "batch-bytes");
  EXPECT_GE(records->data(), wire.data());
  EXPECT_LE(records->data() + records->size(), wire.data() + wire.size());
}

TEST(Codec, SpecDefaultsAreMemberInitialisers) {
  metadata_request request;
  ASSERT_TRUE(request.topics.has_value());  // an empty (not null) array
  EXPECT_TRUE(request.allow_auto_topic_creation);
  metadata_response response;
  EXPECT_EQ(response.controller_id, -1);
  EXPECT_EQ(response.cluster_authorized_operations, INT32_MIN);
  EXPECT_FALSE(response.cluster_id.has_value());
  fetch_request fetch;
  EXPECT_EQ(fetch.replica_id, -1);
  EXPECT_EQ(fetch.max_bytes, 0x7fffffff);
  EXPECT_EQ(fetch.isolation_level, 0);
  EXPECT_EQ(fetch.session_epoch, -1);
}

TEST(Codec, VersionedLayoutMatchesKafka) {
  // Metadata v0: topics as a classic array of classic strings; nothing else.
  metadata_request request;
  request.topics->emplace_back().name = "ab";
  EXPECT_EQ(encode(request, 0), bytes({0, 0, 0, 1, 0, 2, 'a', 'b'}));
  // v1 made the array nullable; v4 added allow_auto_topic_creation.
  request.topics.reset();
  EXPECT_EQ(encode(request, 1), bytes({0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(encode(request, 4), bytes({0xff, 0xff, 0xff, 0xff, 1}));
  // v9 is flexible: compact null array, three bools (v8+), empty tagged section.
  EXPECT_EQ(encode(request, 9), bytes({0, 1, 0, 0, 0}));
  // v10 added the topic id before the (now nullable) name.
  request.topics.emplace().emplace_back().name.reset();
  auto v10 = encode(request, 10);
  EXPECT_EQ(v10.substr(0, 2), bytes({2, 0}));   // one topic, 16 zero bytes of uuid follow
  EXPECT_EQ(v10.substr(17, 2), bytes({0, 0}));  // null compact name, empty tagged section
}

TEST(ApiKeys, TableAndHeaderVersions) {
  ASSERT_NE(find_api(0), nullptr);
  EXPECT_EQ(find_api(0)->name, "Produce");
  EXPECT_EQ(api_name(api_key::api_versions), "ApiVersions");
  EXPECT_EQ(find_api(-1), nullptr);
  EXPECT_EQ(find_api(max_api_key + 1), nullptr);
  EXPECT_EQ(info(api_key::metadata).first_flexible_version, 9);
  EXPECT_EQ(info(api_key::sasl_handshake).first_flexible_version, -1);
  EXPECT_TRUE(info(api_key::fetch).listeners & listener_broker);

  EXPECT_EQ(request_header_version(api_key::metadata, 8), 1);
  EXPECT_EQ(request_header_version(api_key::metadata, 9), 2);
  EXPECT_EQ(response_header_version(api_key::metadata, 8), 0);
  EXPECT_EQ(response_header_version(api_key::metadata, 9), 1);
  EXPECT_EQ(request_header_version(api_key::api_versions, 3), 2);
  EXPECT_EQ(response_header_version(api_key::api_versions, 3), 0);
  EXPECT_EQ(request_header_version(api_key::controlled_shutdown, 0), 0);
  EXPECT_EQ(request_header_version(api_key::controlled_shutdown, 1), 1);
  EXPECT_EQ(request_header_version(api_key::sasl_handshake, 1), 1);
  // A version beyond the highest still has a header version (a newer client).
  EXPECT_EQ(request_header_version(api_key::api_versions, 99), 2);
  for (const auto& api : all_apis()) {
    EXPECT_EQ(find_api(static_cast<std::int16_t>(api.key)), &api);
    EXPECT_LE(api.lowest_version, api.highest_version) << api.name;
  }
}

}  // namespace
}  // namespace wharf::kafka::protocol
