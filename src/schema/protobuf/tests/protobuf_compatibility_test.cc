// A table of schema changes and the differences Confluent's rules report for them, in
// the spirit of Confluent's protobuf-provider diff-schema-examples (our own cases), plus
// the verdicts and messages built from them.
#include "schema/protobuf/protobuf_compatibility.h"

#include <set>

#include <gtest/gtest.h>

namespace wharf::schema::protobuf {
namespace {

struct diff_case {
  const char* description;
  const char* original;
  const char* update;
  std::set<std::string> expected;  // "TYPE path"
  std::vector<reference> original_refs = {};
  std::vector<reference> update_refs = {};
};

constexpr const char* p3 = "syntax = \"proto3\";\n";

std::string proto3(std::string body) { return p3 + body; }

const std::vector<diff_case>& cases() {
  static const auto* all = new std::vector<diff_case>{
      {"identical schemas",
       "syntax = \"proto3\"; message A { string s = 1; }",
       "syntax = \"proto3\"; message A { string s = 1; }",
       {}},
      {"field added",
       "syntax = \"proto3\"; message A { string s = 1; }",
       "syntax = \"proto3\"; message A { string s = 1; int32 n = 2; }",
       {"FIELD_ADDED #/A/2"}},
      {"field removed",
       "syntax = \"proto3\"; message A { string s = 1; int32 n = 2; }",
       "syntax = \"proto3\"; message A { string s = 1; }",
       {"FIELD_REMOVED #/A/2"}},
      {"field renumbered",
       "syntax = \"proto3\"; message A { string s = 1; }",
       "syntax = \"proto3\"; message A { string s = 3; }",
       {"FIELD_REMOVED #/A/1", "FIELD_ADDED #/A/3"}},
      {"field renamed",
       "syntax = \"proto3\"; message A { string s = 1; }",
       "syntax = \"proto3\"; message A { string text = 1; }",
       {"FIELD_NAME_CHANGED #/A/1"}},
      {"required field added",
       "syntax = \"proto2\"; message A { optional string s = 1; }",
       "syntax = \"proto2\"; message A { optional string s = 1; required int32 n = 2; }",
       {"REQUIRED_FIELD_ADDED #/A/2"}},
      {"required field removed",
       "syntax = \"proto2\"; message A { optional string s = 1; required int32 n = 2; }",
       "syntax = \"proto2\"; message A { optional string s = 1; }",
       {"REQUIRED_FIELD_REMOVED #/A/2"}},
      {"package changed",
       "syntax = \"proto3\"; package a; message A {}",
       "syntax = \"proto3\"; package b; message A {}",
       {"PACKAGE_CHANGED #/"}},
      {"name qualification changed",
       "syntax = \"proto3\"; package p; message A { B b = 1; } message B {}",
       "syntax = \"proto3\"; package p; message A { .p.B b = 1; } message B {}",
       {}},
      {"int32 to int64 and bool share a kind",
       "syntax = \"proto3\"; message A { int32 n = 1; }",
       "syntax = \"proto3\"; message A { uint64 n = 1; }",
       {}},
      {"string to bytes",
       "syntax = \"proto3\"; message A { string s = 1; }",
       "syntax = \"proto3\"; message A { bytes s = 1; }",
       {}},
      {"int32 to sint32",
       "syntax = \"proto3\"; message A { int32 n = 1; }",
       "syntax = \"proto3\"; message A { sint32 n = 1; }",
       {"FIELD_SCALAR_KIND_CHANGED #/A/1"}},
      {"fixed32 to fixed64",
       "syntax = \"proto3\"; message A { fixed32 n = 1; }",
       "syntax = \"proto3\"; message A { sfixed64 n = 1; }",
       {"FIELD_SCALAR_KIND_CHANGED #/A/1"}},
      {"float to double",
       "syntax = \"proto3\"; message A { float n = 1; }",
       "syntax = \"proto3\"; message A { double n = 1; }",
       {"FIELD_SCALAR_KIND_CHANGED #/A/1"}},
      {"number to enum",
       "syntax = \"proto3\"; message A { int32 n = 1; }",
       "syntax = \"proto3\"; message A { E n = 1; } enum E { Z = 0; }",
       {"ENUM_ADDED #/E"}},
      {"string to message",
       "syntax = \"proto3\"; message A { string s = 1; }",
       "syntax = \"proto3\"; message A { B s = 1; } message B {}",
       {"FIELD_KIND_CHANGED #/A/1", "MESSAGE_ADDED #/B"}},
      {"message to map",
       "syntax = \"proto3\"; message A { B m = 1; } message B {}",
       "syntax = \"proto3\"; message A { map<string, string> m = 1; } message B {}",
       {"FIELD_KIND_CHANGED #/A/1"}},
      {"map value kind changed",
       "syntax = \"proto3\"; message A { map<string, int32> m = 1; }",
       "syntax = \"proto3\"; message A { map<string, string> m = 1; }",
       {"FIELD_SCALAR_KIND_CHANGED #/A/1"}},
      {"map key int32 to int64",
       "syntax = \"proto3\"; message A { map<int32, string> m = 1; }",
       "syntax = \"proto3\"; message A { map<int64, string> m = 1; }",
       {}},
      {"message type renamed",
       "syntax = \"proto3\"; message A { B b = 1; } message B {}",
       "syntax = \"proto3\"; message A { C b = 1; } message C {}",
       {"FIELD_NAMED_TYPE_CHANGED #/A/1", "MESSAGE_REMOVED #/B", "MESSAGE_ADDED #/C"}},
      {"label of a number changed (proto2)",
       "syntax = \"proto2\"; message A { optional int32 n = 1; }",
       "syntax = \"proto2\"; message A { repeated int32 n = 1; }",
       {"FIELD_NUMERIC_LABEL_CHANGED #/A/1"}},
      {"label of a string changed (proto2)",
       "syntax = \"proto2\"; message A { optional string s = 1; }",
       "syntax = \"proto2\"; message A { repeated string s = 1; }",
       {"FIELD_STRING_OR_BYTES_LABEL_CHANGED #/A/1"}},
      {"proto3 optional number made repeated",
       "syntax = \"proto3\"; message A { optional int32 n = 1; }",
       "syntax = \"proto3\"; message A { repeated int32 n = 1; }",
       {"FIELD_NUMERIC_LABEL_CHANGED #/A/1"}},
      {"proto3 unlabelled number made repeated: Wire sees no label, so no difference",
       "syntax = \"proto3\"; message A { int32 n = 1; }",
       "syntax = \"proto3\"; message A { repeated int32 n = 1; }",
       {}},
      {"label of a message changed",
       "syntax = \"proto2\"; message A { optional B b = 1; } message B {}",
       "syntax = \"proto2\"; message A { repeated B b = 1; } message B {}",
       {}},
      {"message added",
       "syntax = \"proto3\"; message A {}",
       "syntax = \"proto3\"; message A {} message B {}",
       {"MESSAGE_ADDED #/B"}},
      {"message removed",
       "syntax = \"proto3\"; message A {} message B {}",
       "syntax = \"proto3\"; message A {}",
       {"MESSAGE_REMOVED #/B"}},
      {"message added before the first",
       "syntax = \"proto3\"; message A {}",
       "syntax = \"proto3\"; message B {} message A {}",
       {"MESSAGE_ADDED #/B", "MESSAGE_MOVED #/A"}},
      {"messages swapped",
       "syntax = \"proto3\"; message A {} message B {}",
       "syntax = \"proto3\"; message B {} message A {}",
       {"MESSAGE_MOVED #/A", "MESSAGE_MOVED #/B"}},
      {"nested field added",
       "syntax = \"proto3\"; message A { message In { int32 x = 1; } }",
       "syntax = \"proto3\"; message A { message In { int32 x = 1; int32 y = 2; } }",
       {"FIELD_ADDED #/A/In/2"}},
      {"nested message removed",
       "syntax = \"proto3\"; message A { message In {} }",
       "syntax = \"proto3\"; message A {}",
       {"MESSAGE_REMOVED #/A/In"}},
      {"map fields are not messages",
       "syntax = \"proto3\"; message A {}",
       "syntax = \"proto3\"; message A { map<string, int32> m = 1; }",
       {"FIELD_ADDED #/A/1"}},
      {"enum constants",
       "syntax = \"proto3\"; enum E { Z = 0; ONE = 1; TWO = 2; }",
       "syntax = \"proto3\"; enum E { Z = 0; UNO = 1; THREE = 3; }",
       {"ENUM_CONST_CHANGED #/E/1", "ENUM_CONST_REMOVED #/E/2", "ENUM_CONST_ADDED #/E/3"}},
      {"nested enum removed",
       "syntax = \"proto3\"; message A { enum E { Z = 0; } }",
       "syntax = \"proto3\"; message A {}",
       {"ENUM_REMOVED #/A/E"}},
      {"new oneof with a new field",
       "syntax = \"proto3\"; message A { int32 a = 1; }",
       "syntax = \"proto3\"; message A { int32 a = 1; oneof o { int32 b = 2; } }",
       {"ONEOF_ADDED #/A/o", "ONEOF_FIELD_ADDED #/A/o/2"}},
      {"one field moved into a new oneof",
       "syntax = \"proto3\"; message A { int32 a = 1; }",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; } }",
       {"ONEOF_ADDED #/A/o"}},
      {"two fields moved into a new oneof",
       "syntax = \"proto3\"; message A { int32 a = 1; string b = 2; }",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; string b = 2; } }",
       {"ONEOF_ADDED #/A/o", "MULTIPLE_FIELDS_MOVED_TO_ONEOF #/A/o"}},
      {"field moved into an existing oneof",
       "syntax = \"proto3\"; message A { int32 a = 1; oneof o { string b = 2; } }",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; string b = 2; } }",
       {"FIELD_MOVED_TO_EXISTING_ONEOF #/A/o"}},
      {"oneof member removed",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; string b = 2; } }",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; } }",
       {"ONEOF_FIELD_REMOVED #/A/o/2"}},
      {"oneof member added",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; } }",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; string b = 2; } }",
       {"ONEOF_FIELD_ADDED #/A/o/2"}},
      {"whole oneof removed",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; string b = 2; } }",
       "syntax = \"proto3\"; message A {}",
       {"ONEOF_REMOVED #/A/o"}},
      {"oneof renamed with the same members",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; string b = 2; } }",
       "syntax = \"proto3\"; message A { oneof p { int32 a = 1; string b = 2; } }",
       {"ONEOF_REMOVED #/A/o", "ONEOF_ADDED #/A/p"}},
      {"oneof member moved to top level",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; string b = 2; } }",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; } string b = 2; }",
       {"ONEOF_FIELD_MOVED_TO_TOP_LEVEL #/A/2"}},
      {"type change inside a renamed oneof",
       "syntax = \"proto3\"; message A { oneof o { int32 a = 1; string b = 2; } }",
       "syntax = \"proto3\"; message A { oneof p { int32 a = 1; double b = 2; } }",
       {"ONEOF_REMOVED #/A/o", "ONEOF_ADDED #/A/p", "FIELD_SCALAR_KIND_CHANGED #/A/p/2"}},
      {"members of two oneofs merged",
       "syntax = \"proto3\"; message A { oneof x { int32 a = 1; } oneof y { int32 b = 2; } }",
       "syntax = \"proto3\"; message A { oneof z { int32 a = 1; int32 b = 2; } }",
       {"FIELD_MOVED_TO_EXISTING_ONEOF #/A/z", "ONEOF_REMOVED #/A/x", "ONEOF_REMOVED #/A/y",
        "ONEOF_ADDED #/A/z"}},
      {"proto3 optional is no oneof",
       "syntax = \"proto3\"; message A { int32 a = 1; }",
       "syntax = \"proto3\"; message A { optional int32 a = 1; }",
       {}},
      {"recursive message compared once",
       "syntax = \"proto3\"; message Node { Node next = 1; int32 v = 2; }",
       "syntax = \"proto3\"; message Node { Node next = 1; int64 v = 2; string s = 3; }",
       {"FIELD_ADDED #/Node/3"}},
      {"imported message changed incompatibly",
       "syntax = \"proto3\"; import \"dep.proto\"; message A { dep.D d = 1; }",
       "syntax = \"proto3\"; import \"dep.proto\"; message A { dep.D d = 1; }",
       {"FIELD_SCALAR_KIND_CHANGED #/D/1", "FIELD_NAMED_TYPE_CHANGED #/A/1"},
       {{"dep.proto", "syntax = \"proto3\"; package dep; message D { int32 x = 1; }"}},
       {{"dep.proto", "syntax = \"proto3\"; package dep; message D { string x = 1; }"}}},
      {"imported message changed compatibly",
       "syntax = \"proto3\"; import \"dep.proto\"; message A { dep.D d = 1; }",
       "syntax = \"proto3\"; import \"dep.proto\"; message A { dep.D d = 1; }",
       {"FIELD_ADDED #/D/2"},
       {{"dep.proto", "syntax = \"proto3\"; package dep; message D { int32 x = 1; }"}},
       {{"dep.proto",
         "syntax = \"proto3\"; package dep; message D { int32 x = 1; string y = 2; }"}}},
      {"imported nested message changed, under another package",
       "syntax = \"proto3\"; import \"dep.proto\"; message A { dep.Outer.In i = 1; }",
       "syntax = \"proto3\"; import \"dep2.proto\"; message A { other.Outer.In i = 1; }",
       {"FIELD_SCALAR_KIND_CHANGED #/Outer/In/1", "FIELD_NAMED_TYPE_CHANGED #/A/1"},
       {{"dep.proto",
         "syntax = \"proto3\"; package dep; message Outer { message In { int32 x = 1; } }"}},
       {{"dep2.proto",
         "syntax = \"proto3\"; package other; message Outer { message In { float x = 1; } }"}}},
      {"same import on both sides is not compared again",
       "syntax = \"proto3\"; import \"google/protobuf/timestamp.proto\"; message A { "
       "google.protobuf.Timestamp t = 1; }",
       "syntax = \"proto3\"; import \"google/protobuf/timestamp.proto\"; message A { "
       "google.protobuf.Timestamp t = 1; int32 n = 2; }",
       {"FIELD_ADDED #/A/2"}},
      {"message moved to an import",
       "syntax = \"proto3\"; message A { B b = 1; } message B { int32 x = 1; }",
       "syntax = \"proto3\"; import \"b.proto\"; message A { B b = 1; }",
       {"MESSAGE_REMOVED #/B"},
       {},
       {{"b.proto", "syntax = \"proto3\"; message B { int32 x = 1; }"}}},
  };
  return *all;
}

std::set<std::string> describe_all(const std::vector<difference>& differences) {
  std::set<std::string> out;
  for (const auto& d : differences) out.insert(std::string(to_string(d.type)) + " " + d.path);
  return out;
}

class ProtobufCompatibilityTable : public testing::TestWithParam<std::size_t> {};

TEST_P(ProtobufCompatibilityTable, ReportsConfluentsDifferences) {
  const auto& c = cases()[GetParam()];
  SCOPED_TRACE(c.description);
  auto original = schema::parse(c.original, c.original_refs);
  ASSERT_TRUE(original.ok()) << original.err().message();
  auto update = schema::parse(c.update, c.update_refs);
  ASSERT_TRUE(update.ok()) << update.err().message();
  EXPECT_EQ(describe_all(check(**original, **update)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, ProtobufCompatibilityTable,
                         testing::Range<std::size_t>(0, cases().size()));

TEST(ProtobufCompatibility, BackwardAndForwardDiffer) {
  auto v1 = schema::parse(proto3("message A { string s = 1; }"));
  auto v2 = schema::parse(proto3("message A { string s = 1; } message B {}"));
  ASSERT_TRUE(v1.ok() && v2.ok());
  // Adding a message is backward compatible; forward, the old schema lacks it.
  EXPECT_TRUE(incompatibilities(**v1, **v2).empty());
  auto forward = incompatibilities(**v2, **v1);
  ASSERT_EQ(forward.size(), 1u);
  EXPECT_EQ(forward[0], (difference{difference_type::message_removed, "#/B"}));
}

TEST(ProtobufCompatibility, CompatibleSetMatchesConfluent) {
  using enum difference_type;
  for (auto t : {message_added, message_moved, enum_added, enum_removed, enum_const_added,
                 enum_const_changed, enum_const_removed, field_added, field_removed,
                 field_name_changed, field_string_or_bytes_label_changed, oneof_added,
                 oneof_removed, oneof_field_added, oneof_field_moved_to_top_level}) {
    EXPECT_FALSE(incompatible(t)) << to_string(t);
  }
  for (auto t : {package_changed, message_removed, field_kind_changed, field_scalar_kind_changed,
                 field_named_type_changed, field_numeric_label_changed, required_field_added,
                 required_field_removed, oneof_field_removed, multiple_fields_moved_to_oneof,
                 field_moved_to_existing_oneof}) {
    EXPECT_TRUE(incompatible(t)) << to_string(t);
  }
}

TEST(ProtobufCompatibility, MessagesReadLikeConfluents) {
  difference removed{difference_type::message_removed, "#/B"};
  EXPECT_EQ(describe(removed),
            "The new schema is missing a MESSAGE type at path '#/B' in the old schema");
  EXPECT_EQ(to_confluent_message(removed),
            "{errorType:\"MESSAGE_REMOVED\", description:\"The new schema is missing a MESSAGE "
            "type at path '#/B' in the old schema\"}");
  difference kind{difference_type::field_kind_changed, "#/A/1"};
  EXPECT_EQ(describe(kind, "reader", "writer"),
            "The type of a field at path '#/A/1' in the reader schema does not match the "
            "writer schema");
  EXPECT_EQ(describe({difference_type::field_added, "#/A/2"}), "");
}

TEST(ProtobufCompatibility, DescriptorAndTextFormsCompareEqual) {
  auto text = schema::parse(
      proto3("package p; message A { int32 a = 1; map<string, B> m = 2; oneof o { string x = 3; } "
             "optional int32 opt = 4; } message B { repeated int64 v = 1; } enum E { Z = 0; }"));
  ASSERT_TRUE(text.ok());
  auto descriptor = schema::parse((*text)->to_serialized_base64());
  ASSERT_TRUE(descriptor.ok());
  EXPECT_TRUE(check(**text, **descriptor).empty());
  EXPECT_TRUE(check(**descriptor, **text).empty());
}

}  // namespace
}  // namespace wharf::schema::protobuf
