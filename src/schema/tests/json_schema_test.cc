#include "schema/json_schema.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "schema/json_validator.h"

namespace wharf::schema::json {
namespace {

std::string parse_error(std::string_view text, const std::vector<reference>& refs = {}) {
  auto parsed = schema::parse(text, refs);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.err().message();
}

TEST(JsonSchemaParse, AcceptsObjectsAndBooleans) {
  EXPECT_TRUE(schema::parse("{}").ok());
  EXPECT_TRUE(schema::parse("true").ok());
  EXPECT_TRUE(schema::parse("false").ok());
  EXPECT_TRUE(schema::parse(R"({"type": ["string", "null"], "maxLength": 3})").ok());
  EXPECT_NE(parse_error("5").find("JSON object or a boolean"), std::string::npos);
  EXPECT_NE(parse_error("[]").find("JSON object or a boolean"), std::string::npos);
  EXPECT_NE(parse_error("{").find("not valid JSON"), std::string::npos);
}

TEST(JsonSchemaParse, ErrorsNameTheKeywordAndItsPath) {
  EXPECT_EQ(parse_error(R"({"properties": {"a": {"type": 5}}})"),
            "keyword 'type' at '#/properties/a' must be a type name (null, boolean, object, "
            "array, number, string, integer) or an array of distinct type names");
  EXPECT_EQ(parse_error(R"({"required": "x"})"),
            "keyword 'required' at '#' must be an array of strings");
  EXPECT_EQ(parse_error(R"({"properties": []})"), "keyword 'properties' at '#' must be an object");
  EXPECT_EQ(parse_error(R"({"items": {"minimum": "1"}})"),
            "keyword 'minimum' at '#/items' must be a number");
  EXPECT_NE(parse_error(R"({"allOf": [{}, {"pattern": "(("}]})").find("'#/allOf/1/pattern'"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"pattern": "a{77777777777777777777}"})").find("repetition count"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"pattern": "(a{1000}){1000}"})").find("multiply"), std::string::npos);
  EXPECT_TRUE(
      schema::parse(R"({"pattern": "^\\d{4}-\\d{2}-\\d{2}$", "patternProperties": {"[{]x": {}}})")
          .ok());
  EXPECT_NE(parse_error(R"({"minLength": -1})").find("non-negative integer"), std::string::npos);
  EXPECT_NE(parse_error(R"({"multipleOf": 0})").find("multipleOf"), std::string::npos);
  EXPECT_NE(parse_error(R"({"anyOf": []})").find("anyOf"), std::string::npos);
  EXPECT_NE(parse_error(R"({"dependencies": {"a": 3}})").find("#/dependencies/a"),
            std::string::npos);
  // Draft-04's boolean exclusive limits are accepted.
  EXPECT_TRUE(schema::parse(R"({"minimum": 1, "exclusiveMinimum": true})").ok());
  // Unknown keywords are not schemas: anything goes inside them.
  EXPECT_TRUE(schema::parse(R"({"x-extension": {"type": 5}})").ok());
}

TEST(JsonSchemaParse, RefsResolveLocallyAndById) {
  EXPECT_TRUE(schema::parse(R"({"definitions": {"a": {}}, "$ref": "#/definitions/a"})").ok());
  EXPECT_TRUE(schema::parse(R"({"$defs": {"a~b": {}}, "$ref": "#/$defs/a~0b"})").ok());
  EXPECT_TRUE(schema::parse(R"({"$id": "http://x.com/root.json",
      "definitions": {"a": {"$id": "item.json", "type": "string"}},
      "items": {"$ref": "http://x.com/item.json"}})")
                  .ok());
  EXPECT_TRUE(
      schema::parse(R"({"definitions": {"a": {"$id": "#anchor"}}, "$ref": "#anchor"})").ok());
  EXPECT_TRUE(schema::parse(R"({"$defs": {"a": {"$anchor": "here"}}, "$ref": "#here"})").ok());
  EXPECT_NE(parse_error(R"({"properties": {"p": {"$ref": "#/definitions/nope"}}})")
                .find("$ref at '#/properties/p' does not resolve: '#/definitions/nope'"),
            std::string::npos);
}

TEST(JsonSchemaParse, RefsResolveToReferences) {
  std::vector<reference> refs = {
      {"customer.json", R"({"type": "object", "definitions": {"id": {"type": "integer"}}})"},
      {"https://acme.com/address.json", R"({"type": "string"})"}};
  EXPECT_TRUE(schema::parse(R"({"$ref": "customer.json"})", refs).ok());
  EXPECT_TRUE(schema::parse(R"({"$ref": "customer.json#/definitions/id"})", refs).ok());
  EXPECT_TRUE(schema::parse(R"({"$ref": "https://acme.com/address.json"})", refs).ok());
  // Relative to the schema's own $id, as well as by the bare name.
  EXPECT_TRUE(
      schema::parse(R"({"$id": "https://acme.com/order.json", "$ref": "address.json"})", refs)
          .ok());
  EXPECT_TRUE(
      schema::parse(R"({"$id": "https://other.com/order.json", "$ref": "customer.json"})", refs)
          .ok());
  EXPECT_FALSE(schema::parse(R"({"$ref": "customer.json#/definitions/none"})", refs).ok());
  EXPECT_NE(parse_error(R"({"$ref": "x.json"})", {{"x.json", R"({"type": 1})"}})
                .find("reference 'x.json'"),
            std::string::npos);
}

TEST(JsonSchemaParse, CyclicRefsParseAndValidateWithoutLooping) {
  auto parsed = schema::parse(R"({"definitions": {
      "a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
      "$ref": "#/definitions/a"})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(is_valid(**parsed, boost::json::parse("1")));
  // Across references, each pointing at the other.
  std::vector<reference> refs = {{"a.json", R"({"properties": {"b": {"$ref": "b.json"}}})"},
                                 {"b.json", R"({"properties": {"a": {"$ref": "a.json"}}})"}};
  auto mutual = schema::parse(R"({"$ref": "a.json"})", refs);
  ASSERT_TRUE(mutual.ok());
  EXPECT_TRUE(is_valid(**mutual, boost::json::parse(R"({"b": {"a": {"b": {}}}})")));
}

TEST(JsonSchemaText, CanonicalKeepsOrderAndNormalizedSortsKeys) {
  auto parsed = schema::parse(R"({ "type": "object",
      "properties": {"z": {"maximum": 2.0}, "a": {"enum": [3, 1e20, 0.5]}} })");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)->canonical_string(),
            R"({"type":"object","properties":{"z":{"maximum":2.0},"a":{"enum":[3,1.0E20,0.5]}}})");
  EXPECT_EQ((*parsed)->normalized_string(),
            R"({"properties":{"a":{"enum":[3,1.0E20,0.5]},"z":{"maximum":2.0}},"type":"object"})");
  // Semantically equal documents normalize to the same text.
  auto reordered = schema::parse(R"({"properties": {"a": {"enum": [3, 1E20, 0.5]},
      "z": {"maximum": 2.0}}, "type": "object"})");
  ASSERT_TRUE(reordered.ok());
  EXPECT_EQ((*parsed)->normalized_string(), (*reordered)->normalized_string());
}

TEST(JsonSchemaText, JsonEqualityIsJsonSchemas) {
  using boost::json::parse;
  EXPECT_TRUE(json_equal(parse("1"), parse("1.0")));
  EXPECT_FALSE(json_equal(parse("1"), parse("true")));
  EXPECT_TRUE(json_equal(parse(R"({"a": 1, "b": [2]})"), parse(R"({"b": [2.0], "a": 1})")));
  EXPECT_FALSE(json_equal(parse("[1, 2]"), parse("[2, 1]")));
  EXPECT_EQ(pointer_append("/a", "b/c~d"), "/a/b~1c~0d");
}

}  // namespace
}  // namespace wharf::schema::json
