#include "schema/avro_compatibility.h"

#include <gtest/gtest.h>

namespace wharf::schema::avro {
namespace {

compatibility_result check(std::string_view reader, std::string_view writer) {
  auto r = schema::parse(reader);
  auto w = schema::parse(writer);
  EXPECT_TRUE(r.ok() && w.ok());
  if (!r.ok() || !w.ok()) return {};
  return check_reader_writer(**r, **w);
}

constexpr const char* v1 = R"({"type": "record", "name": "User", "fields": [
    {"name": "id", "type": "int"}]})";
constexpr const char* v2_with_default = R"({"type": "record", "name": "User", "fields": [
    {"name": "id", "type": "int"}, {"name": "email", "type": "string", "default": ""}]})";
constexpr const char* v2_no_default = R"({"type": "record", "name": "User", "fields": [
    {"name": "id", "type": "int"}, {"name": "email", "type": "string"}]})";

TEST(AvroCompatibility, AddedFieldNeedsADefaultToReadOldData) {
  EXPECT_TRUE(check(v2_with_default, v1).compatible());
  auto result = check(v2_no_default, v1);
  ASSERT_EQ(result.incompatibilities.size(), 1u);
  EXPECT_EQ(result.incompatibilities[0].type,
            incompatibility_type::reader_field_missing_default_value);
  EXPECT_EQ(result.incompatibilities[0].location, "/fields/1");
  EXPECT_EQ(result.incompatibilities[0].message, "email");
  // Old readers ignore the new field.
  EXPECT_TRUE(check(v1, v2_no_default).compatible());
}

TEST(AvroCompatibility, PromotionsGoOneWay) {
  EXPECT_TRUE(check(R"("long")", R"("int")").compatible());
  EXPECT_TRUE(check(R"("double")", R"("float")").compatible());
  EXPECT_TRUE(check(R"("string")", R"("bytes")").compatible());
  EXPECT_TRUE(check(R"("bytes")", R"("string")").compatible());
  auto narrowing = check(R"("int")", R"("long")");
  ASSERT_FALSE(narrowing.compatible());
  EXPECT_EQ(narrowing.incompatibilities[0].message,
            "reader type: INT not compatible with writer type: LONG");
  EXPECT_EQ(narrowing.incompatibilities[0].location, "/");
}

TEST(AvroCompatibility, EnumsNeedEverySymbolOrADefault) {
  auto ab = R"({"type": "enum", "name": "E", "symbols": ["A", "B"]})";
  auto abc = R"({"type": "enum", "name": "E", "symbols": ["A", "B", "C"]})";
  auto ab_default = R"({"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"})";
  EXPECT_TRUE(check(abc, ab).compatible());
  auto missing = check(ab, abc);
  ASSERT_FALSE(missing.compatible());
  EXPECT_EQ(missing.incompatibilities[0].type, incompatibility_type::missing_enum_symbols);
  EXPECT_EQ(missing.incompatibilities[0].message, "[C]");
  EXPECT_EQ(missing.incompatibilities[0].location, "/symbols");
  EXPECT_TRUE(check(ab_default, abc).compatible());
}

TEST(AvroCompatibility, NamesSizesAndAliases) {
  auto f4 = R"({"type": "fixed", "name": "F", "size": 4})";
  auto f8 = R"({"type": "fixed", "name": "F", "size": 8})";
  auto g4 = R"({"type": "fixed", "name": "G", "size": 4})";
  auto g4_alias = R"({"type": "fixed", "name": "G", "size": 4, "aliases": ["F"]})";
  EXPECT_EQ(check(f4, f8).incompatibilities.at(0).type, incompatibility_type::fixed_size_mismatch);
  EXPECT_EQ(check(g4, f4).incompatibilities.at(0).type, incompatibility_type::name_mismatch);
  EXPECT_TRUE(check(g4_alias, f4).compatible());
  // A renamed field is found through its alias.
  auto renamed = R"({"type": "record", "name": "User", "fields": [
      {"name": "key", "type": "int", "aliases": ["id"]}]})";
  EXPECT_TRUE(check(renamed, v1).compatible());
}

TEST(AvroCompatibility, Unions) {
  EXPECT_TRUE(check(R"(["null", "int"])", R"("int")").compatible());
  EXPECT_TRUE(check(R"(["null", "long"])", R"("int")").compatible());
  auto lacking = check(R"(["null", "string"])", R"(["null", "int"])");
  ASSERT_FALSE(lacking.compatible());
  EXPECT_EQ(lacking.incompatibilities[0].type, incompatibility_type::missing_union_branch);
  EXPECT_EQ(lacking.incompatibilities[0].location, "/1");
  EXPECT_EQ(lacking.incompatibilities[0].message, "reader union lacking writer type: INT");
  // A writer union is readable by a non-union reader only if every branch is.
  EXPECT_FALSE(check(R"("int")", R"(["null", "int"])").compatible());
  EXPECT_TRUE(check(R"("long")", R"(["int", "long"])").compatible());
}

TEST(AvroCompatibility, RecursiveTypesTerminate) {
  auto list = R"({"type": "record", "name": "L", "fields": [
      {"name": "v", "type": "int"}, {"name": "next", "type": ["null", "L"]}]})";
  auto list_long = R"({"type": "record", "name": "L", "fields": [
      {"name": "v", "type": "long"}, {"name": "next", "type": ["null", "L"]}]})";
  EXPECT_TRUE(check(list, list).compatible());
  EXPECT_TRUE(check(list_long, list).compatible());
  EXPECT_FALSE(check(list, list_long).compatible());
}

TEST(AvroCompatibility, NestedLocations) {
  auto reader = R"({"type": "record", "name": "R", "fields": [
      {"name": "a", "type": "int"},
      {"name": "m", "type": {"type": "map", "values": {"type": "array", "items": "int"}}}]})";
  auto writer = R"({"type": "record", "name": "R", "fields": [
      {"name": "a", "type": "int"},
      {"name": "m", "type": {"type": "map", "values": {"type": "array", "items": "long"}}}]})";
  auto result = check(reader, writer);
  ASSERT_EQ(result.incompatibilities.size(), 1u);
  EXPECT_EQ(result.incompatibilities[0].location, "/fields/1/type/values/items");
}

}  // namespace
}  // namespace wharf::schema::avro
