// Protobuf schemas as Confluent Schema Registry clients register them (schemaType
// PROTOBUF): `.proto` source text or the base64 of a serialized FileDescriptorProto (what
// confluent-kafka-python sends), resolved against schema references (imports by path)
// and the well-known types the registry knows without references. A parsed schema
// prints itself as `.proto` text, as a base64 descriptor and in a normalized form, and
// converts message JSON to the binary encoding and back for the REST Proxy.
//
// libprotobuf stays behind this header: callers see names and strings, not descriptors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace google::protobuf {
class FileDescriptor;
class Descriptor;
}  // namespace google::protobuf

namespace wharf::schema::protobuf {

// One Confluent schema reference, resolved to its text: `name` is the import path the
// referring schema uses ("other.proto", "com/acme/order.proto"), `schema` the referenced
// schema in either accepted form.
struct reference {
  std::string name;
  std::string schema;
};

// Whether an import path is one the registry resolves by itself (google/protobuf/*,
// google/type/*, confluent/*), as confluent-kafka-python's _is_builtin decides what not
// to send as a reference.
bool is_builtin_import(std::string_view import_path);

// How binary_to_json prints a message. The defaults are those of Confluent's REST Proxy
// (ProtobufSchemaUtils.toJson: JsonFormat.printer().includingDefaultValueFields()):
// lowerCamelCase JSON names, fields holding their default printed too.
struct json_print_options {
  bool preserve_proto_field_names = false;    // true: "order_id" rather than "orderId"
  bool always_print_primitive_fields = true;  // print fields holding their default
};

class schema;
using schema_ptr = std::shared_ptr<const schema>;

class schema {
 public:
  // Parses `text` (.proto source, or base64 of a FileDescriptorProto) and builds it with
  // its references. Errors (syntax, unknown types, missing imports, bad base64) are
  // values of errc::parse_error whose message gives line:column for .proto text.
  static result<schema_ptr> parse(std::string_view text,
                                  const std::vector<reference>& references = {});

  ~schema();
  schema(const schema&) = delete;
  schema& operator=(const schema&) = delete;

  // Formatted .proto text of this schema (what the registry stores and returns).
  std::string to_proto_text() const;
  // Base64 of the serialized FileDescriptorProto (GET /schemas/ids/{id}?format=serialized).
  std::string to_serialized_base64() const;
  // The .proto text with declaration order made canonical, as Confluent's normalize=true
  // does: fields by number, oneofs by their first field, enum values by number, imports
  // and reserved ranges sorted, type names fully qualified. Messages and enums keep their
  // order, since the message indexes in the wire format depend on it.
  std::string normalized_text() const;

  // The package ("" if none) and the import paths this schema declares.
  const std::string& package() const;
  std::vector<std::string> imports() const;

  // Full names of every message in declaration order, nested ones after their parent
  // ("com.acme.Order", "com.acme.Order.Line"); map entry messages are left out.
  std::vector<std::string> message_names() const;
  // The message a serializer uses when none is named: the first top-level message.
  result<std::string> first_message_name() const;
  // The path of indexes of a message by full name (a leading '.' is accepted): [0] for
  // the first top-level message, [1, 0] for the first message nested in the second...
  // Nested indexes count map entry messages (declared where their map field is), as
  // descriptors and confluent-kafka-python's serializer do.
  result<std::vector<int>> message_indexes(std::string_view full_name) const;
  // The inverse: the full name of the message at an index path.
  result<std::string> message_name_at(const std::vector<int>& indexes) const;

  // JSON (proto3 JSON mapping) of a message -> its binary encoding, deterministic (map
  // entries sorted by key). Unknown fields and mistyped values are errors naming them.
  result<std::string> json_to_binary(std::string_view message_full_name,
                                     std::string_view json) const;
  // Binary encoding -> JSON, for reading records back.
  result<std::string> binary_to_json(std::string_view message_full_name, std::string_view bytes,
                                     const json_print_options& options = {}) const;

  // For the compatibility checker and tools in this library.
  const google::protobuf::FileDescriptor* descriptor() const;

 private:
  struct state;
  explicit schema(std::unique_ptr<state> state);
  std::unique_ptr<state> state_;
};

// Confluent's wire-format message indexes: a zigzag varint count, then each index as a
// zigzag varint; the path [0] (the first message) is the single byte 0.
std::string encode_message_indexes(const std::vector<int>& indexes);
// Reads message indexes from the front of `bytes` (after the magic byte and schema id).
// Returns the indexes and how many bytes they took.
struct decoded_message_indexes {
  std::vector<int> indexes;
  std::size_t size = 0;
};
result<decoded_message_indexes> decode_message_indexes(std::string_view bytes);

}  // namespace wharf::schema::protobuf
