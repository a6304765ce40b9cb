// The records the group coordinator keeps in the compacted __consumer_offsets topic, in
// Apache Kafka's own layout so Kafka's tools (and anyone reading the topic) understand
// them. The key starts with an int16 that says which record it is:
//
//   0, 1  OffsetCommitKey      group string, topic string, partition int32
//   2     GroupMetadataKey     group string
//   3+    the new consumer group protocol's records (KIP-848): not ours, skipped on replay
//
// and the value starts with its own int16 version. We write OffsetCommitValue v3 (offset,
// leader epoch, metadata, commit timestamp), or v1 when the commit carries an explicit
// retention (its expire timestamp), and GroupMetadataValue v3 (static membership), as
// Kafka 4 does for classic groups; we read every version Kafka has written (v0-v4). A null
// value is a tombstone: the offset or the group was deleted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace wharf::broker::groups {

struct offset_commit_key {
  std::string group;
  std::string topic;
  std::int32_t partition = 0;

  bool operator==(const offset_commit_key&) const = default;
};

struct group_metadata_key {
  std::string group;

  bool operator==(const group_metadata_key&) const = default;
};

// A key of a record type this coordinator does not handle (the KIP-848 records).
struct other_record_key {
  std::int16_t type = 0;
};

using record_key = std::variant<offset_commit_key, group_metadata_key, other_record_key>;

struct offset_commit_value {
  std::int64_t offset = 0;
  std::int32_t leader_epoch = -1;
  std::string metadata;
  std::int64_t commit_timestamp = 0;
  // Set only by commits that asked for their own retention (OffsetCommit v2-v4).
  std::optional<std::int64_t> expire_timestamp;

  bool operator==(const offset_commit_value&) const = default;
};

struct group_member_record {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::int32_t rebalance_timeout_ms = 0;
  std::int32_t session_timeout_ms = 0;
  std::string subscription;  // the member's metadata for the selected protocol
  std::string assignment;

  bool operator==(const group_member_record&) const = default;
};

struct group_metadata_value {
  std::string protocol_type;  // "" for a group used only to store offsets
  std::int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  std::int64_t current_state_timestamp = -1;
  std::vector<group_member_record> members;

  bool operator==(const group_metadata_value&) const = default;
};

std::string encode_key(const offset_commit_key& key);
std::string encode_key(const group_metadata_key& key);
std::string encode_value(const offset_commit_value& value);
std::string encode_value(const group_metadata_value& value);

// Decoders of bytes read back from the log: errc::parse_error for malformed bytes or a
// value version newer than Kafka has defined.
result<record_key> decode_key(std::string_view bytes);
result<offset_commit_value> decode_offset_commit_value(std::string_view bytes);
result<group_metadata_value> decode_group_metadata_value(std::string_view bytes);

// The __consumer_offsets partition that holds a group: abs(Java's String.hashCode of the
// group id) mod the partition count, as Kafka computes it (the id is hashed as UTF-16, so
// a group keeps its partition whichever broker implementation wrote it).
std::int32_t partition_for_group(std::string_view group_id, std::int32_t partition_count);

// Java's String.hashCode of UTF-8 text (malformed bytes count as U+FFFD, as Java decodes
// them).
std::int32_t java_string_hash(std::string_view utf8);

}  // namespace wharf::broker::groups
