// The __consumer_offsets record formats against Kafka's byte layout, and the group to
// partition mapping against values computed with Java's String.hashCode.
#include "broker/groups/group_records.h"

#include <gtest/gtest.h>

#include "base/bytes.h"

namespace wharf::broker::groups {
namespace {

std::string bytes_of(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(GroupRecords, OffsetCommitKeyHasKafkasLayout) {
  auto key = encode_key(offset_commit_key{"g", "t", 3});
  EXPECT_EQ(key, bytes_of({0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3}));
  auto decoded = decode_key(key);
  ASSERT_TRUE(decoded);
  auto* k = std::get_if<offset_commit_key>(&*decoded);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(*k, (offset_commit_key{"g", "t", 3}));
  // Version 0 keys (older brokers) read the same.
  auto v0 = bytes_of({0, 0, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3});
  EXPECT_EQ(std::get<offset_commit_key>(*decode_key(v0)), (offset_commit_key{"g", "t", 3}));
}

TEST(GroupRecords, GroupMetadataKeyHasKafkasLayout) {
  auto key = encode_key(group_metadata_key{"grp"});
  EXPECT_EQ(key, bytes_of({0, 2, 0, 3, 'g', 'r', 'p'}));
  EXPECT_EQ(std::get<group_metadata_key>(*decode_key(key)).group, "grp");
}

TEST(GroupRecords, NewProtocolKeysAreRecognisedAsOthers) {
  auto decoded = decode_key(bytes_of({0, 3, 0, 1, 'g'}));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<other_record_key>(*decoded).type, 3);
  EXPECT_FALSE(decode_key(bytes_of({0})));
  EXPECT_FALSE(decode_key(bytes_of({0, 1, 0, 5, 'a'})));
}

TEST(GroupRecords, OffsetCommitValueVersions) {
  offset_commit_value v{42, 7, "meta", 1000, std::nullopt};
  auto bytes = encode_value(v);
  // v3: version, offset, leader epoch, metadata, commit timestamp.
  EXPECT_EQ(bytes.substr(0, 2), bytes_of({0, 3}));
  EXPECT_EQ(bytes.size(), 2u + 8 + 4 + 2 + 4 + 8);
  EXPECT_EQ(*decode_offset_commit_value(bytes), v);

  offset_commit_value with_expiry{42, -1, "", 1000, 5000};
  bytes = encode_value(with_expiry);
  EXPECT_EQ(bytes.substr(0, 2), bytes_of({0, 1}));
  EXPECT_EQ(*decode_offset_commit_value(bytes), with_expiry);

  // v4 is flexible: compact metadata string and a tagged-field section.
  std::string v4;
  byte_writer w(v4);
  w.write_int16(4);
  w.write_int64(9);
  w.write_int32(2);
  w.write_unsigned_varint(3);  // "ab" as a compact string
  w.write_bytes("ab");
  w.write_int64(77);
  w.write_unsigned_varint(1);  // one tagged field, skipped
  w.write_unsigned_varint(0);
  w.write_unsigned_varint(16);
  w.write_bytes(std::string(16, 'x'));
  auto decoded = decode_offset_commit_value(v4);
  ASSERT_TRUE(decoded) << decoded.err().message();
  EXPECT_EQ(*decoded, (offset_commit_value{9, 2, "ab", 77, std::nullopt}));

  EXPECT_FALSE(decode_offset_commit_value(bytes_of({0, 5, 0, 0})));
  EXPECT_FALSE(decode_offset_commit_value(bytes_of({0, 3, 0})));
}

TEST(GroupRecords, GroupMetadataValueRoundTrip) {
  group_metadata_value v;
  v.protocol_type = "consumer";
  v.generation = 5;
  v.protocol = "range";
  v.leader = "m-1";
  v.current_state_timestamp = 123;
  v.members.push_back({"m-1", std::nullopt, "client", "/127.0.0.1", 30000, 10000, "sub", "asg"});
  v.members.push_back({"m-2", "instance-2", "client", "/127.0.0.1", 30000, 10000, "", ""});
  auto bytes = encode_value(v);
  EXPECT_EQ(bytes.substr(0, 2), bytes_of({0, 3}));
  auto decoded = decode_group_metadata_value(bytes);
  ASSERT_TRUE(decoded) << decoded.err().message();
  EXPECT_EQ(*decoded, v);

  group_metadata_value empty;
  empty.protocol_type = "consumer";
  empty.generation = 2;
  auto e = decode_group_metadata_value(encode_value(empty));
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, empty);
  EXPECT_FALSE(e->protocol);
}

TEST(GroupRecords, GroupMetadataValueVersion0) {
  std::string v0;
  byte_writer w(v0);
  w.write_int16(0);
  w.write_int16(8);
  w.write_bytes("consumer");
  w.write_int32(1);
  w.write_int16(5);
  w.write_bytes("range");
  w.write_int16(1);
  w.write_bytes("m");
  w.write_int32(1);  // one member
  w.write_int16(1);
  w.write_bytes("m");
  w.write_int16(1);
  w.write_bytes("c");
  w.write_int16(1);
  w.write_bytes("h");
  w.write_int32(6000);  // session timeout (no rebalance timeout in v0)
  w.write_int32(1);
  w.write_bytes("s");
  w.write_int32(1);
  w.write_bytes("a");
  auto decoded = decode_group_metadata_value(v0);
  ASSERT_TRUE(decoded) << decoded.err().message();
  ASSERT_EQ(decoded->members.size(), 1u);
  EXPECT_EQ(decoded->members[0].session_timeout_ms, 6000);
  EXPECT_EQ(decoded->members[0].rebalance_timeout_ms, 6000);
  EXPECT_EQ(decoded->members[0].subscription, "s");
  EXPECT_EQ(decoded->current_state_timestamp, -1);
  // Truncated input is refused, whatever the member count claims.
  EXPECT_FALSE(decode_group_metadata_value(v0.substr(0, v0.size() - 1)));
}

TEST(GroupRecords, JavaStringHashAndPartitions) {
  // Expected values printed by Java 17: s.hashCode() and abs(hash) % 50.
  EXPECT_EQ(java_string_hash(""), 0);
  EXPECT_EQ(java_string_hash("a"), 97);
  EXPECT_EQ(java_string_hash("hello"), 99162322);
  EXPECT_EQ(java_string_hash("\xc3\xa9"), 233);              // é
  EXPECT_EQ(java_string_hash("\xf0\x9f\x98\x80"), 1772899);  // U+1F600, a surrogate pair
  EXPECT_EQ(java_string_hash("my-group"), -1906497762);
  EXPECT_EQ(java_string_hash("\xe4\xb8\xad\xe6\x96\x87-group"), -340409364);  // 中文-group
  EXPECT_EQ(partition_for_group("my-group", 50), 12);
  EXPECT_EQ(partition_for_group("test-group", 50), 12);
  EXPECT_EQ(partition_for_group("console-consumer-12345", 50), 6);
  EXPECT_EQ(partition_for_group("\xe4\xb8\xad\xe6\x96\x87-group", 50), 14);
  EXPECT_EQ(partition_for_group("\xf0\x9f\x98\x80", 50), 49);
  // Malformed UTF-8 is hashed as Java decodes it (U+FFFD) and never crashes.
  EXPECT_EQ(java_string_hash("\xff"), 0xFFFD);
  auto p = partition_for_group(std::string("\xc3", 1), 3);
  EXPECT_GE(p, 0);
  EXPECT_LT(p, 3);
}

}  // namespace
}  // namespace wharf::broker::groups
