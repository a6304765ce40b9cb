// Parsing (.proto text and base64 descriptors), references and built-in imports,
// printing, normalization, message indexes and JSON <-> binary conversion.
#include "schema/protobuf/protobuf_schema.h"

#include <gtest/gtest.h>

#include "base/base64.h"

namespace wharf::schema::protobuf {
namespace {

constexpr const char* order_proto = R"(syntax = "proto3";
package com.acme;

message Order {
  string id = 1;
  int64 amount_cents = 2;
  repeated Line lines = 3;
  map<string, int32> counts = 4;
  Status status = 5;
  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
  enum Status {
    UNKNOWN = 0;
    PAID = 1;
  }
}

message Customer {
  string name = 1;
  message Address {
    string city = 1;
    message Geo {
      double lat = 1;
    }
  }
}
)";

schema_ptr parse_ok(std::string_view text, const std::vector<reference>& refs = {}) {
  auto parsed = schema::parse(text, refs);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.err().message());
  return parsed.ok() ? *parsed : nullptr;
}

std::string parse_error(std::string_view text, const std::vector<reference>& refs = {}) {
  auto parsed = schema::parse(text, refs);
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.err().code(), errc::parse_error);
  return parsed.err().message();
}

TEST(ProtobufSchema, ParsesProtoText) {
  auto s = parse_ok(order_proto);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->package(), "com.acme");
  EXPECT_EQ(s->message_names(), (std::vector<std::string>{
                                    "com.acme.Order", "com.acme.Order.Line", "com.acme.Customer",
                                    "com.acme.Customer.Address", "com.acme.Customer.Address.Geo"}));
  EXPECT_EQ(*s->first_message_name(), "com.acme.Order");
}

TEST(ProtobufSchema, SyntaxErrorsGiveLineAndColumn) {
  auto message = parse_error("syntax = \"proto3\";\nmessage A {\n  string x = ;\n}\n");
  EXPECT_NE(message.find("3:14:"), std::string::npos) << message;
}

TEST(ProtobufSchema, UnknownTypeIsLocated) {
  auto message = parse_error("syntax = \"proto3\";\nmessage A {\n  Missing x = 1;\n}\n");
  EXPECT_NE(message.find("\"Missing\" is not defined"), std::string::npos) << message;
  EXPECT_NE(message.find("3:3:"), std::string::npos) << message;
}

TEST(ProtobufSchema, RejectsDuplicateFieldNumbersAndEmptyText) {
  auto message =
      parse_error("syntax = \"proto3\";\nmessage A {\n  string x = 1;\n  string y = 1;\n}\n");
  EXPECT_NE(message.find("has already been used"), std::string::npos) << message;
  EXPECT_EQ(parse_error("  \n"), "empty schema");
  parse_error("Zm9v");  // base64 of "foo": not a descriptor, and not .proto text either
}

TEST(ProtobufSchema, RejectsWhatCannotBePrintedBack) {
  // An option string with invalid UTF-8 in a proto3 message: libprotobuf cannot print it.
  auto message = parse_error(R"(syntax = "proto3";
import "confluent/meta.proto";
message A {
  option (confluent.message_meta) = { doc: "\377" };
})");
  EXPECT_NE(message.find("cannot be written"), std::string::npos) << message;
}

TEST(ProtobufSchema, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "syntax = \"proto3\";\n";
  for (int i = 0; i < 100000; ++i) deep += "message a {";
  for (int i = 0; i < 100000; ++i) deep += "}";
  auto message = parse_error(deep);
  EXPECT_NE(message.find("nested deeper than"), std::string::npos) << message;
  // Braces inside strings and comments do not count.
  std::string braces(500, '{');
  EXPECT_TRUE(parse_ok("syntax = \"proto3\";\n// " + braces + "\n/* " + braces +
                       " */\nmessage A { string s = 1 [json_name = \"" + braces + "\"]; }"));
  // Within the limit, the pool's own nesting limit answers.
  std::string nested = "syntax = \"proto3\";\n";
  for (int i = 0; i < 40; ++i) nested += "message a {";
  for (int i = 0; i < 40; ++i) nested += "}";
  EXPECT_NE(parse_error(nested).find("recursion limit"), std::string::npos);
}

TEST(ProtobufSchema, MissingImportIsNamed) {
  auto message = parse_error(
      "syntax = \"proto3\";\nimport \"other.proto\";\nmessage A {\n  Other o = 1;\n}\n");
  EXPECT_NE(message.find("import \"other.proto\""), std::string::npos) << message;
}

TEST(ProtobufSchema, ResolvesReferencesAndBuiltins) {
  std::vector<reference> refs = {
      {"common/money.proto",
       "syntax = \"proto3\";\npackage common;\nmessage Money { int64 units "
       "= 1; string currency = 2; }\n"}};
  auto s = parse_ok(R"(syntax = "proto3";
package shop;
import "common/money.proto";
import "google/protobuf/timestamp.proto";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";
message Sale {
  option (confluent.message_meta).doc = "a sale";
  common.Money price = 1 [(confluent.field_meta).doc = "the price"];
  google.protobuf.Timestamp at = 2;
  confluent.type.Decimal tax = 3;
}
)",
                    refs);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->imports().size(), 4u);
  EXPECT_TRUE(is_builtin_import("google/protobuf/timestamp.proto"));
  EXPECT_TRUE(is_builtin_import("confluent/meta.proto"));
  EXPECT_FALSE(is_builtin_import("common/money.proto"));
  auto binary = s->json_to_binary("shop.Sale",
                                  R"({"price": {"units": "5", "currency": "EUR"},
                                      "at": "2024-01-02T03:04:05Z"})");
  ASSERT_TRUE(binary.ok()) << binary.err().message();
  json_print_options only_set{.preserve_proto_field_names = true,
                              .always_print_primitive_fields = false};
  auto json = s->binary_to_json("shop.Sale", *binary, only_set);
  ASSERT_TRUE(json.ok()) << json.err().message();
  EXPECT_EQ(*json, R"({"price":{"units":"5","currency":"EUR"},"at":"2024-01-02T03:04:05Z"})");
}

TEST(ProtobufSchema, ErrorInReferenceNamesIt) {
  auto message = parse_error("syntax = \"proto3\";\nimport \"bad.proto\";\nmessage A {}\n",
                             {{"bad.proto", "syntax = \"proto3\";\nmessage B { int32 = 1; }"}});
  EXPECT_NE(message.find("reference \"bad.proto\""), std::string::npos) << message;
}

TEST(ProtobufSchema, ImportCycleIsAnError) {
  auto message = parse_error("syntax = \"proto3\";\nimport \"a.proto\";\nmessage M {}\n",
                             {{"a.proto", "syntax = \"proto3\";\nimport \"b.proto\";\n"},
                              {"b.proto", "syntax = \"proto3\";\nimport \"a.proto\";\n"}});
  EXPECT_NE(message.find("cycle"), std::string::npos) << message;
}

TEST(ProtobufSchema, Base64DescriptorRoundTrip) {
  auto text = parse_ok(order_proto);
  ASSERT_TRUE(text);
  auto serialized = text->to_serialized_base64();
  EXPECT_TRUE(base64::decode(serialized).has_value());
  auto from_descriptor = parse_ok(serialized);
  ASSERT_TRUE(from_descriptor);
  EXPECT_EQ(from_descriptor->to_proto_text(), text->to_proto_text());
  EXPECT_EQ(from_descriptor->message_names(), text->message_names());
}

TEST(ProtobufSchema, ProtoTextReparsesToTheSameSchema) {
  auto s = parse_ok(order_proto);
  ASSERT_TRUE(s);
  auto again = parse_ok(s->to_proto_text());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->to_proto_text(), s->to_proto_text());
  EXPECT_NE(s->to_proto_text().find("map<string, int32> counts = 4;"), std::string::npos)
      << s->to_proto_text();
}

TEST(ProtobufSchema, ProtoTextKeepsNestedOrderOfMapEntriesAndGroups) {
  // The parser creates map entry and group types where their fields are declared, ahead
  // of the messages declared after them; the printed text must keep that order, or the
  // message indexes of those messages would change when the text is parsed again.
  auto s = parse_ok(R"(syntax = "proto2";
message Outer {
  map<string, int32> counts = 1;
  optional group Extra = 2 { optional int32 x = 1; }
  message Inner { optional int32 y = 1; }
  oneof choice { string a = 3; group Picked = 4 { optional int32 z = 1; } }
  message Last {}
  map<int32, Inner> by_id = 5;
})");
  ASSERT_TRUE(s);
  auto again = parse_ok(s->to_proto_text());
  ASSERT_TRUE(again);
  for (const auto* name : {"Outer.Inner", "Outer.Last", "Outer.Extra", "Outer.Picked"}) {
    EXPECT_EQ(*again->message_indexes(name), *s->message_indexes(name)) << name;
  }
  EXPECT_EQ(*s->message_indexes("Outer.Inner"), (std::vector<int>{0, 2}));
  EXPECT_EQ(again->to_serialized_base64(), s->to_serialized_base64()) << s->to_proto_text();
}

TEST(ProtobufSchema, NormalizedTextIgnoresDeclarationOrder) {
  auto a = parse_ok(R"(syntax = "proto3";
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
message M {
  int32 b = 2;
  oneof choice { string y = 5; string x = 4; }
  int32 a = 1;
  reserved 9, 7;
  enum E { Z = 0; B = 2; A = 1; }
  google.protobuf.Timestamp t = 3;
  google.protobuf.Duration d = 6;
})");
  auto b = parse_ok(R"(syntax = "proto3";
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
message M {
  int32 a = 1;
  int32 b = 2;
  google.protobuf.Timestamp t = 3;
  oneof choice { string x = 4; string y = 5; }
  google.protobuf.Duration d = 6;
  reserved 7, 9;
  enum E { Z = 0; A = 1; B = 2; }
})");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->to_proto_text(), b->to_proto_text());
  EXPECT_EQ(a->normalized_text(), b->normalized_text());
  // The normalized text is itself a valid schema.
  EXPECT_TRUE(parse_ok(a->normalized_text()));
}

TEST(ProtobufSchema, NormalizedKeepsProto3OptionalValid) {
  auto s = parse_ok(
      "syntax = \"proto3\";\nmessage M { optional int32 b = 2; oneof o { int32 a "
      "= 3; } optional string c = 1; }\n");
  ASSERT_TRUE(s);
  auto normalized = parse_ok(s->normalized_text());
  ASSERT_TRUE(normalized);
  EXPECT_EQ(normalized->normalized_text(), s->normalized_text());
}

TEST(ProtobufSchema, MessageIndexes) {
  auto s = parse_ok(order_proto);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s->message_indexes("com.acme.Order"), (std::vector<int>{0}));
  EXPECT_EQ(*s->message_indexes(".com.acme.Customer"), (std::vector<int>{1}));
  // Indexes count map entry messages, as descriptors (and confluent-kafka-python) do:
  // the entry for `counts` is declared with the field, before Line.
  EXPECT_EQ(*s->message_indexes("com.acme.Order.Line"), (std::vector<int>{0, 1}));
  EXPECT_EQ(*s->message_indexes("com.acme.Customer.Address.Geo"), (std::vector<int>{1, 0, 0}));
  EXPECT_EQ(*s->message_name_at({1, 0, 0}), "com.acme.Customer.Address.Geo");
  EXPECT_FALSE(s->message_indexes("com.acme.Nope").ok());
  EXPECT_FALSE(s->message_indexes("google.protobuf.Timestamp").ok());
  EXPECT_FALSE(s->message_name_at({2}).ok());
  EXPECT_FALSE(s->message_name_at({}).ok());
}

TEST(ProtobufSchema, EncodesMessageIndexesAsConfluentDoes) {
  EXPECT_EQ(encode_message_indexes({0}), std::string(1, '\0'));
  // count 2 -> zigzag 4, 1 -> 2, 0 -> 0
  EXPECT_EQ(encode_message_indexes({1, 0}), std::string("\x04\x02\x00", 3));
  EXPECT_EQ(encode_message_indexes({1}), std::string("\x02\x02", 2));
  EXPECT_EQ(encode_message_indexes({70}), std::string("\x02\x8c\x01", 3));
  for (const auto& path : std::vector<std::vector<int>>{{0}, {1, 0}, {3, 2, 1}, {70, 1000}}) {
    auto bytes = encode_message_indexes(path) + "payload";
    auto decoded = decode_message_indexes(bytes);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->indexes, path);
    EXPECT_EQ(bytes.substr(decoded->size), "payload");
  }
  EXPECT_FALSE(decode_message_indexes("").ok());
  EXPECT_FALSE(decode_message_indexes(std::string("\x06\x02", 2)).ok());  // 3 promised, 1 there
  EXPECT_FALSE(decode_message_indexes(std::string("\x01", 1)).ok());      // count -1
  EXPECT_FALSE(decode_message_indexes(std::string("\xff\xff\xff\xff\xff\xff", 6)).ok());
}

TEST(ProtobufSchema, JsonToBinaryAndBack) {
  auto s = parse_ok(order_proto);
  ASSERT_TRUE(s);
  auto binary = s->json_to_binary(
      "com.acme.Order",
      R"({"id": "o-1", "amountCents": "1250", "lines": [{"sku": "a", "quantity": 2}],
          "status": "PAID"})");
  ASSERT_TRUE(binary.ok()) << binary.err().message();
  // id (1, "o-1"), amount_cents (2, 1250), lines (3, {sku "a", quantity 2}), status (5, 1)
  EXPECT_EQ(*binary, std::string("\x0a\x03o-1\x10\xe2\x09\x1a\x05\x0a\x01"
                                 "a\x10\x02\x28\x01",
                                 17));
  json_print_options only_set{.preserve_proto_field_names = true,
                              .always_print_primitive_fields = false};
  auto json = s->binary_to_json("com.acme.Order", *binary, only_set);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"id":"o-1","amount_cents":"1250","lines":[{"sku":"a","quantity":2}],)"
                   R"("status":"PAID"})");
  // Confluent's REST Proxy prints lowerCamelCase names and default values too.
  auto confluent_style = s->binary_to_json("com.acme.Order", *binary);
  ASSERT_TRUE(confluent_style.ok());
  EXPECT_EQ(*confluent_style,
            R"({"id":"o-1","amountCents":"1250","lines":[{"sku":"a","quantity":2}],)"
            R"("counts":{},"status":"PAID"})");
}

TEST(ProtobufSchema, MapEntriesAreSortedByKey) {
  auto s = parse_ok(order_proto);
  ASSERT_TRUE(s);
  auto one = s->json_to_binary("com.acme.Order", R"({"counts": {"b": 2, "a": 1}})");
  auto two = s->json_to_binary("com.acme.Order", R"({"counts": {"a": 1, "b": 2}})");
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(*one, *two);
}

TEST(ProtobufSchema, JsonErrorsAreValues) {
  auto s = parse_ok(order_proto);
  ASSERT_TRUE(s);
  auto unknown = s->json_to_binary("com.acme.Order", R"({"nope": 1})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.err().message().find("nope"), std::string::npos) << unknown.err().message();
  auto mistyped = s->json_to_binary("com.acme.Order", R"({"amountCents": "lots"})");
  ASSERT_FALSE(mistyped.ok());
  EXPECT_FALSE(s->json_to_binary("com.acme.Order", "{").ok());
  EXPECT_FALSE(s->json_to_binary("com.acme.Missing", "{}").ok());
  EXPECT_FALSE(s->binary_to_json("com.acme.Order", "\xff\xff\xff").ok());
}

TEST(ProtobufSchema, RequiredFieldsAreChecked) {
  auto s = parse_ok("syntax = \"proto2\";\nmessage P { required int32 id = 1; }\n");
  ASSERT_TRUE(s);
  auto missing = s->json_to_binary("P", "{}");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.err().message().find("id"), std::string::npos);
  EXPECT_TRUE(s->json_to_binary("P", R"({"id": 3})").ok());
}

}  // namespace
}  // namespace wharf::schema::protobuf
