#include "schema/avro_schema.h"

#include <gtest/gtest.h>

namespace wharf::schema::avro {
namespace {

schema_ptr parse_ok(std::string_view text, const std::vector<schema_ptr>& refs = {}) {
  auto parsed = schema::parse(text, refs);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.err().message()) << "\n" << text;
  return parsed.ok() ? *parsed : nullptr;
}

std::string parse_error(std::string_view text) {
  auto parsed = schema::parse(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.err().message();
}

TEST(AvroSchema, PrimitivesInEveryForm) {
  EXPECT_EQ(parse_ok(R"("int")")->root().type, type::int_);
  EXPECT_EQ(parse_ok(R"({"type": "string"})")->root().type, type::string);
  EXPECT_EQ(parse_ok(R"({"type": "long", "logicalType": "timestamp-millis"})")->root().logical_type,
            "timestamp-millis");
  // An invalid logical type is ignored, as Avro does.
  EXPECT_EQ(parse_ok(R"({"type": "string", "logicalType": "date"})")->root().logical_type, "");
}

TEST(AvroSchema, RecordWithNamespacesAndRecursion) {
  auto s = parse_ok(R"({"type": "record", "name": "Node", "namespace": "com.acme",
    "fields": [{"name": "value", "type": "int"},
               {"name": "next", "type": ["null", "Node"], "default": null},
               {"name": "meta", "type": {"type": "record", "name": "Meta",
                 "fields": [{"name": "tag", "type": "string"}]}},
               {"name": "other", "type": "com.acme.Meta"}]})");
  ASSERT_TRUE(s);
  const auto& root = s->root();
  EXPECT_EQ(root.full_name, "com.acme.Node");
  ASSERT_EQ(root.fields.size(), 4u);
  EXPECT_EQ(root.fields[1].schema->branches[1], &root);  // the recursion is the same node
  EXPECT_EQ(root.fields[2].schema->full_name, "com.acme.Meta");
  EXPECT_EQ(root.fields[3].schema, root.fields[2].schema);
}

TEST(AvroSchema, RejectsInvalidSchemasWithAReason) {
  EXPECT_NE(parse_error(R"("Unknown")").find("not a defined name"), std::string::npos);
  EXPECT_NE(parse_error(R"({"type": "record", "name": "R", "fields": [
      {"name": "a", "type": "int"}, {"name": "a", "type": "int"}]})")
                .find("Duplicate field a"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"type": "record", "name": "R", "fields": [
      {"name": "a", "type": "int", "default": "x"}]})")
                .find("Invalid default for field a"),
            std::string::npos);
  EXPECT_NE(parse_error(R"(["int", "int"])").find("Duplicate in union"), std::string::npos);
  EXPECT_NE(parse_error(R"(["int", ["string"]])").find("Nested union"), std::string::npos);
  EXPECT_NE(parse_error(R"({"type": "enum", "name": "E", "symbols": ["A", "A"]})")
                .find("Duplicate enum symbol"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"type": "enum", "name": "E", "symbols": ["A"], "default": "B"})")
                .find("not in the enum symbol set"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"type": "record", "name": "bad-name", "fields": []})")
                .find("Illegal character"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"type": "record", "name": "R", "fields": [
      {"name": "a", "type": {"type": "record", "name": "R", "fields": []}}]})")
                .find("Can't redefine"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"type": "fixed", "name": "F"})").find("size"), std::string::npos);
  EXPECT_NE(parse_error(R"({"type": "array"})").find("items"), std::string::npos);
  EXPECT_NE(parse_error("{not json").find("Invalid JSON"), std::string::npos);
}

TEST(AvroSchema, DefaultsAreCheckedAsAvroDoes) {
  // A union's default matches its first branch.
  parse_ok(R"({"type": "record", "name": "R", "fields": [
      {"name": "a", "type": ["null", "int"], "default": null}]})");
  parse_error(R"({"type": "record", "name": "R", "fields": [
      {"name": "a", "type": ["null", "int"], "default": 1}]})");
  parse_ok(R"({"type": "record", "name": "R", "fields": [
      {"name": "m", "type": {"type": "map", "values": "long"}, "default": {"x": 1}},
      {"name": "l", "type": {"type": "array", "items": "double"}, "default": [1, 2.5]},
      {"name": "f", "type": "float", "default": 1}]})");
  parse_error(R"({"type": "record", "name": "R", "fields": [
      {"name": "i", "type": "int", "default": 3000000000}]})");
}

TEST(AvroSchema, NamedTypesFromReferences) {
  auto address = parse_ok(R"({"type": "record", "name": "Address", "namespace": "com.acme",
    "fields": [{"name": "city", "type": "string"}]})");
  auto customer = parse_ok(R"({"type": "record", "name": "Customer", "namespace": "com.acme",
    "fields": [{"name": "home", "type": "Address"}]})",
                           {address});
  ASSERT_TRUE(customer);
  EXPECT_EQ(customer->root().fields[0].schema, &address->root());
  EXPECT_EQ(
      customer->canonical_form(),
      R"({"name":"com.acme.Customer","type":"record","fields":[{"name":"home","type":)"
      R"({"name":"com.acme.Address","type":"record","fields":[{"name":"city","type":"string"}]}}]})");
}

TEST(AvroSchema, ParsingCanonicalFormMatchesTheSpecification) {
  auto s = parse_ok(R"({"namespace": "x.y", "type": "record", "name": "R", "doc": "drop me",
    "fields": [{"name": "a", "type": {"type": "long", "logicalType": "timestamp-millis"},
                "default": 0, "doc": "also"},
               {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}},
               {"name": "f", "type": {"type": "fixed", "name": "F", "size": 4, "namespace": "z"}},
               {"name": "again", "type": "E"},
               {"name": "u", "type": ["null", {"type": "array", "items": "string"},
                                      {"type": "map", "values": "z.F"}]}]})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->canonical_form(),
            R"({"name":"x.y.R","type":"record","fields":[{"name":"a","type":"long"},)"
            R"({"name":"e","type":{"name":"x.y.E","type":"enum","symbols":["A","B"]}},)"
            R"({"name":"f","type":{"name":"z.F","type":"fixed","size":4}},)"
            R"({"name":"again","type":"x.y.E"},)"
            R"({"name":"u","type":["null",{"type":"array","items":"string"},)"
            R"({"type":"map","values":"z.F"}]}]})");
}

TEST(AvroSchema, FingerprintsAreAvrosRabinCrc64) {
  // Values from Apache Avro's own test data (SchemaNormalization, parsingFingerprint64).
  EXPECT_EQ(static_cast<std::int64_t>(parse_ok(R"("null")")->fingerprint64()),
            7195948357588979594LL);
  EXPECT_EQ(static_cast<std::int64_t>(parse_ok(R"("int")")->fingerprint64()),
            8247732601305521295LL);
  EXPECT_EQ(static_cast<std::int64_t>(parse_ok(R"("string")")->fingerprint64()),
            -8142146995180207161LL);
}

TEST(AvroSchema, NormalizedFormKeepsEverythingInConfluentsLayout) {
  auto s = parse_ok(R"({"fields": [
      {"type": {"type": "bytes", "scale": 2, "precision": 9, "logicalType": "decimal"},
       "name": "amount", "default": "\u0000", "zeta": 1, "alpha": [true]},
      {"aliases": ["z", "b"], "name": "kind", "order": "descending", "doc": "what",
       "type": {"symbols": ["A", "B"], "default": "A", "name": "Kind", "type": "enum"}},
      {"name": "next", "type": ["null", "R"], "default": null}],
    "namespace": "x.y", "type": "record", "name": "R", "doc": "a record", "custom": {"k": 2}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->normalized_form(),
            R"({"name":"x.y.R","type":"record","fields":[)"
            R"({"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,)"
            R"("scale":2},"order":"ASCENDING","default":"\u0000","alpha":[true],"zeta":1},)"
            R"({"name":"kind","type":{"name":"x.y.Kind","type":"enum","symbols":["A","B"],)"
            R"("default":"A"},"order":"DESCENDING","doc":"what","aliases":["b","z"]},)"
            R"({"name":"next","type":["null","x.y.R"],"order":"ASCENDING","default":null}],)"
            R"("doc":"a record","custom":{"k":2}})");
  // The form is a schema Avro reads back, and normalizing it again changes nothing.
  auto again = parse_ok(s->normalized_form());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->normalized_form(), s->normalized_form());
  EXPECT_EQ(again->canonical_form(), s->canonical_form());
}

TEST(AvroSchema, NormalizedFormIgnoresKeyOrderWhitespaceAndNamespaceSpelling) {
  auto a = parse_ok(R"({"type": "record", "name": "R", "namespace": "n",
                        "fields": [{"name": "a", "type": "string"}]})");
  auto b = parse_ok(R"({"fields":[{"type":"string","name":"a"}],"name":"n.R","type":"record"})");
  auto other = parse_ok(R"({"type": "record", "name": "n.R",
                            "fields": [{"name": "a", "type": "string", "doc": "differs"}]})");
  ASSERT_TRUE(a && b && other);
  EXPECT_EQ(a->normalized_form(), b->normalized_form());
  EXPECT_NE(a->normalized_form(), other->normalized_form());
}

TEST(AvroSchema, NormalizedFormNamesTypesFromReferences) {
  auto address = parse_ok(R"({"type": "record", "name": "Address", "namespace": "geo",
                              "fields": [{"name": "city", "type": "string"}]})");
  ASSERT_TRUE(address);
  auto person = schema::parse(R"({"type": "record", "name": "Person",
      "fields": [{"name": "home", "type": "geo.Address"}]})",
                              {address});
  ASSERT_TRUE(person.ok()) << person.err().message();
  EXPECT_EQ((*person)->normalized_form(),
            R"({"name":"Person","type":"record","fields":[)"
            R"({"name":"home","type":"geo.Address","order":"ASCENDING"}]})");
}

}  // namespace
}  // namespace wharf::schema::avro
