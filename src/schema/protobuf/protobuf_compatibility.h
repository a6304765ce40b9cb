// Differences between two Protobuf schemas by Confluent Schema Registry's rules (its
// protobuf-provider diff package): every change is reported with a type and a path, and
// the types outside Confluent's compatible set make the update incompatible.
//   BACKWARD: check(original = previous version, update = new schema)
//   FORWARD:  check(original = new schema, update = previous version)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/protobuf/protobuf_schema.h"

namespace wharf::schema::protobuf {

enum class difference_type {
  package_changed,
  message_added,
  message_removed,
  message_moved,
  enum_added,
  enum_removed,
  enum_const_added,
  enum_const_changed,
  enum_const_removed,
  field_added,
  field_removed,
  field_name_changed,
  field_kind_changed,
  field_scalar_kind_changed,
  field_named_type_changed,
  field_numeric_label_changed,
  field_string_or_bytes_label_changed,
  required_field_added,
  required_field_removed,
  oneof_added,
  oneof_removed,
  oneof_field_added,
  oneof_field_removed,
  oneof_field_moved_to_top_level,
  multiple_fields_moved_to_oneof,
  field_moved_to_existing_oneof,
};

// "MESSAGE_REMOVED", "FIELD_KIND_CHANGED", ... as Confluent's Difference.Type.
std::string_view to_string(difference_type type);

struct difference {
  difference_type type;
  // Confluent's path: "#/" then message names, oneof names and field or enum numbers,
  // "#/Order/2", "#/Order/Line/payment/4".
  std::string path;

  bool operator==(const difference&) const = default;
};

// Whether a change breaks compatibility (is outside Confluent's COMPATIBLE_CHANGES).
bool incompatible(difference_type type);
inline bool incompatible(const difference& d) { return incompatible(d.type); }

// Every difference from original to update, in a stable order.
std::vector<difference> check(const schema& original, const schema& update);

// The incompatible ones only.
std::vector<difference> incompatibilities(const schema& original, const schema& update);

// Confluent's description of an incompatible difference, its two "%s" filled with the
// names of the schemas: `update_name` is the schema the update is (for BACKWARD "new"),
// `original_name` the other ("old"). Empty for compatible types, as in Confluent.
std::string describe(const difference& d, std::string_view update_name = "new",
                     std::string_view original_name = "old");

// {errorType:"FIELD_KIND_CHANGED", description:"..."}, Confluent's Difference.toString
// with the names filled in, as its registry lists them in compatibility answers.
std::string to_confluent_message(const difference& d, std::string_view update_name = "new",
                                 std::string_view original_name = "old");

}  // namespace wharf::schema::protobuf
