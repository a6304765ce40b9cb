#include "schema/json_validator.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace wharf::schema::json {
namespace {

// The instance pointers of the failures ("" = valid).
std::string failures(std::string_view schema_text, std::string_view instance,
                     const std::vector<reference>& refs = {}) {
  auto parsed = schema::parse(schema_text, refs);
  EXPECT_TRUE(parsed.ok()) << schema_text;
  if (!parsed.ok()) return "schema error";
  auto value = boost::json::parse(instance);
  auto errors = validate(**parsed, value);
  EXPECT_EQ(errors.empty(), is_valid(**parsed, value)) << schema_text << " " << instance;
  std::string out;
  for (const auto& e : errors)
    out += (out.empty() ? "" : " ") + e.instance_pointer + "@" + e.schema_pointer;
  return out;
}

bool valid(std::string_view schema_text, std::string_view instance) {
  return failures(schema_text, instance).empty();
}

TEST(JsonValidator, TypesAndIntegers) {
  EXPECT_TRUE(valid(R"({"type": "integer"})", "3"));
  EXPECT_TRUE(valid(R"({"type": "integer"})", "3.0"));
  EXPECT_FALSE(valid(R"({"type": "integer"})", "3.5"));
  EXPECT_FALSE(valid(R"({"type": "number"})", "true"));
  EXPECT_TRUE(valid(R"({"type": ["string", "null"]})", "null"));
  EXPECT_FALSE(valid(R"({"type": ["string", "null"]})", "1"));
  EXPECT_TRUE(valid("true", "[1]"));
  EXPECT_EQ(failures("false", "1"), "@#");
}

TEST(JsonValidator, ReportsEveryFailureWithPointers) {
  EXPECT_EQ(failures(R"({"type": "object", "required": ["id"],
      "properties": {"items": {"type": "array", "items": {"minimum": 0}}}})",
                     R"({"items": [1, -1, -2]})"),
            "@#/required /items/1@#/properties/items/items/minimum "
            "/items/2@#/properties/items/items/minimum");
  EXPECT_EQ(failures(R"({"additionalProperties": false, "properties": {"a": {}}})",
                     R"({"a": 1, "b/c": 2})"),
            "@#/additionalProperties");
}

TEST(JsonValidator, NumbersBothDraftsOfExclusiveLimits) {
  EXPECT_FALSE(valid(R"({"minimum": 3, "exclusiveMinimum": true})", "3"));
  EXPECT_TRUE(valid(R"({"minimum": 3, "exclusiveMinimum": false})", "3"));
  EXPECT_FALSE(valid(R"({"exclusiveMaximum": 3})", "3"));
  EXPECT_TRUE(valid(R"({"exclusiveMaximum": 3})", "2.99"));
  EXPECT_TRUE(valid(R"({"multipleOf": 0.5})", "2.5"));
  EXPECT_FALSE(valid(R"({"multipleOf": 0.5})", "2.25"));
  EXPECT_TRUE(valid(R"({"multipleOf": 3})", "-9"));
  // Not numbers: number keywords do not apply.
  EXPECT_TRUE(valid(R"({"minimum": 3})", R"("x")"));
}

TEST(JsonValidator, StringsCountCodePointsAndPatternsSearch) {
  EXPECT_TRUE(valid(R"({"maxLength": 2})", R"("é😀")"));
  EXPECT_FALSE(valid(R"({"minLength": 3})", R"("é😀")"));
  EXPECT_TRUE(valid(R"({"pattern": "b"})", R"("abc")"));
  EXPECT_FALSE(valid(R"({"pattern": "^b"})", R"("abc")"));
  EXPECT_TRUE(valid(R"({"pattern": "^.$"})", R"("é")"));
  // Long strings: std::regex recurses per character, so they get a deep stack.
  std::string long_text(60000, 'a');
  EXPECT_TRUE(valid(R"({"pattern": "^(a|b)*$"})", "\"" + long_text + "\""));
  EXPECT_FALSE(valid(R"({"pattern": "^(a|b)*$"})", "\"" + long_text + "c\""));
  EXPECT_FALSE(valid(R"({"pattern": "a"})", "\"" + std::string(100001, 'a') + "\""));
  // format is an annotation.
  EXPECT_TRUE(valid(R"({"format": "email"})", R"("not an email")"));
}

TEST(JsonValidator, EnumConstAndUniqueItemsUseJsonEquality) {
  EXPECT_TRUE(valid(R"({"enum": [1, "a"]})", "1.0"));
  EXPECT_FALSE(valid(R"({"enum": [1, "a"]})", "true"));
  EXPECT_TRUE(valid(R"({"const": {"a": [1]}})", R"({"a": [1.0]})"));
  EXPECT_FALSE(valid(R"({"uniqueItems": true})", "[1, 1.0]"));
  EXPECT_TRUE(valid(R"({"uniqueItems": true})", "[1, true]"));
}

TEST(JsonValidator, UniqueItemsInLargeArrays) {
  std::string items = "[";
  for (int i = 0; i < 200; ++i) items += std::to_string(i) + ", ";
  EXPECT_TRUE(valid(R"({"uniqueItems": true})", items + R"({"a": 1, "b": [2]}])"));
  EXPECT_FALSE(valid(R"({"uniqueItems": true})", items + "150.0]"));
  EXPECT_FALSE(
      valid(R"({"uniqueItems": true})", items + R"({"a": 1, "b": [2]}, {"b": [2.0], "a": 1}])"));
  // Same double, different integers.
  EXPECT_TRUE(valid(R"({"uniqueItems": true})", items + "9007199254740993, 9007199254740992]"));
}

TEST(JsonValidator, ArraysTupleAndContains) {
  EXPECT_TRUE(valid(R"({"items": [{"type": "string"}], "additionalItems": false})", R"(["a"])"));
  EXPECT_EQ(failures(R"({"items": [{"type": "string"}], "additionalItems": false})", R"(["a", 1])"),
            "/1@#/additionalItems");
  EXPECT_TRUE(valid(R"({"items": {"type": "string"}, "additionalItems": false})", R"(["a", "b"])"));
  EXPECT_FALSE(valid(R"({"contains": {"const": 2}})", "[1, 3]"));
  EXPECT_TRUE(valid(R"({"contains": {"const": 2}})", "[1, 2]"));
  EXPECT_FALSE(valid(R"({"minItems": 2})", "[1]"));
  // 2020-12: prefixItems and items for the rest.
  EXPECT_FALSE(valid(R"({"$schema": "https://json-schema.org/draft/2020-12/schema",
      "prefixItems": [{"type": "string"}], "items": false})",
                     R"(["a", 1])"));
}

TEST(JsonValidator, ObjectsPatternsDependenciesAndNames) {
  EXPECT_FALSE(valid(R"({"patternProperties": {"^n_": {"type": "number"}},
      "additionalProperties": false})",
                     R"({"n_a": "x"})"));
  EXPECT_TRUE(valid(R"({"patternProperties": {"^n_": {"type": "number"}},
      "additionalProperties": false})",
                    R"({"n_a": 1})"));
  EXPECT_FALSE(valid(R"({"dependencies": {"a": ["b"]}})", R"({"a": 1})"));
  EXPECT_FALSE(valid(R"({"dependencies": {"a": {"required": ["c"]}}})", R"({"a": 1})"));
  EXPECT_FALSE(valid(R"({"dependentRequired": {"a": ["b"]}})", R"({"a": 1})"));
  EXPECT_TRUE(valid(R"({"dependentSchemas": {"a": {"maxProperties": 2}}})", R"({"a": 1, "b": 2})"));
  EXPECT_FALSE(valid(R"({"propertyNames": {"maxLength": 2}})", R"({"abc": 1})"));
  EXPECT_FALSE(valid(R"({"maxProperties": 1})", R"({"a": 1, "b": 2})"));
}

TEST(JsonValidator, CombinatorsAndConditionals) {
  EXPECT_FALSE(valid(R"({"oneOf": [{"type": "integer"}, {"minimum": 2}]})", "3"));
  EXPECT_TRUE(valid(R"({"oneOf": [{"type": "integer"}, {"minimum": 2}]})", "2.5"));
  EXPECT_TRUE(valid(R"({"anyOf": [{"type": "integer"}, {"minimum": 2}]})", "3"));
  EXPECT_FALSE(valid(R"({"allOf": [{"type": "integer"}, {"minimum": 2}]})", "1"));
  EXPECT_FALSE(valid(R"({"not": {"type": "null"}})", "null"));
  const char* conditional =
      R"({"if": {"minimum": 5}, "then": {"multipleOf": 2}, "else": {"maximum": 0}})";
  EXPECT_TRUE(valid(conditional, "6"));
  EXPECT_FALSE(valid(conditional, "7"));
  EXPECT_FALSE(valid(conditional, "3"));
  EXPECT_TRUE(valid(conditional, "-1"));
}

TEST(JsonValidator, RefsIgnoreSiblingsUpToDraft7) {
  const char* draft7 = R"({"definitions": {"n": {"type": "integer"}},
      "$ref": "#/definitions/n", "type": "string"})";
  EXPECT_TRUE(valid(draft7, "5"));
  const char* modern = R"({"$schema": "https://json-schema.org/draft/2020-12/schema",
      "$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n", "minimum": 10})";
  EXPECT_FALSE(valid(modern, "5"));
  EXPECT_TRUE(valid(modern, "12"));
}

TEST(JsonValidator, UnevaluatedKeywordsSeeInPlaceSubschemas) {
  const char* closed_union = R"({"$schema": "https://json-schema.org/draft/2020-12/schema",
      "properties": {"kind": {}},
      "anyOf": [{"properties": {"a": {"type": "integer"}}}, {"properties": {"b": {}}}],
      "unevaluatedProperties": false})";
  EXPECT_TRUE(valid(closed_union, R"({"kind": 1, "a": 2, "b": 3})"));
  EXPECT_EQ(failures(closed_union, R"({"kind": 1, "c": 3})"), "/c@#/unevaluatedProperties");
  // A failed branch evaluates nothing: "a" is then unevaluated.
  EXPECT_FALSE(valid(closed_union, R"({"a": "x", "b": 3})"));
  const char* closed_tuple = R"({"$schema": "https://json-schema.org/draft/2020-12/schema",
      "allOf": [{"prefixItems": [{"type": "string"}]}], "contains": {"type": "integer"},
      "unevaluatedItems": false})";
  EXPECT_TRUE(valid(closed_tuple, R"(["a", 1, 2])"));
  EXPECT_FALSE(valid(closed_tuple, R"(["a", 1, null])"));
  // Draft-07 has no such keyword.
  EXPECT_TRUE(valid(R"({"unevaluatedProperties": false})", R"({"a": 1})"));
}

TEST(JsonValidator, RecursiveSchemasAndReferences) {
  const char* tree = R"({"definitions": {"node": {"type": "object", "properties": {
      "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}},
      "additionalProperties": false}}, "$ref": "#/definitions/node"})";
  EXPECT_TRUE(valid(tree, R"({"children": [{"children": []}, {}]})"));
  EXPECT_EQ(failures(tree, R"({"children": [{"children": [{"leaf": 1}]}]})"),
            "/children/0/children/0@#/$ref/properties/children/items/$ref/properties/children/"
            "items/$ref/additionalProperties");
  std::vector<reference> refs = {{"customer.json", R"({"type": "object", "required": ["id"]})"}};
  EXPECT_EQ(failures(R"({"properties": {"customer": {"$ref": "customer.json"}}})",
                     R"({"customer": {}})", refs),
            "/customer@#/properties/customer/$ref/required");
}

TEST(JsonValidator, StopsAtMaxErrors) {
  auto parsed = schema::parse(R"({"items": {"type": "string"}})");
  ASSERT_TRUE(parsed.ok());
  auto errors = validate(**parsed, boost::json::parse("[1, 2, 3, 4]"), 2);
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message, "1 is not of type \"string\"");
}

}  // namespace
}  // namespace wharf::schema::json
