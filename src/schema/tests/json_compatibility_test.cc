#include "schema/json_compatibility.h"

#include <gtest/gtest.h>

namespace wharf::schema::json {
namespace {

// "TYPE path; TYPE path" for every difference of update reading original's data.
std::string differences(std::string_view original, std::string_view update,
                        const std::vector<reference>& refs = {}) {
  auto a = schema::parse(original, refs);
  auto b = schema::parse(update, refs);
  EXPECT_TRUE(a.ok() && b.ok()) << original << " / " << update;
  if (!a.ok() || !b.ok()) return "parse error";
  std::string out;
  for (const auto& d : check(**a, **b)) {
    out += (out.empty() ? "" : "; ") + std::string(to_string(d.type)) + " " + d.path;
  }
  return out;
}

bool backward(std::string_view old_schema, std::string_view new_schema,
              compatibility_policy policy = compatibility_policy::strict) {
  auto a = schema::parse(old_schema);
  auto b = schema::parse(new_schema);
  EXPECT_TRUE(a.ok() && b.ok());
  return a.ok() && b.ok() && is_backward_compatible(**b, **a, policy);
}

TEST(JsonCompatibility, IdenticalSchemasHaveNoDifferences) {
  const char* s = R"({"type": "object", "properties": {"a": {"type": ["string", "null"]},
      "b": {"allOf": [{"enum": [1, 2]}, {"type": "integer"}]}}, "required": ["a"]})";
  EXPECT_EQ(differences(s, s), "");
}

TEST(JsonCompatibility, TypeChanges) {
  EXPECT_EQ(differences(R"({"type": "string"})", R"({"type": "integer"})"), "TYPE_CHANGED #/");
  EXPECT_EQ(differences(R"({"type": "number"})", R"({"type": "integer"})"), "TYPE_NARROWED #/");
  EXPECT_EQ(differences(R"({"type": "integer"})", R"({"type": "number"})"), "TYPE_EXTENDED #/");
  EXPECT_EQ(differences(R"({"type": "string"})", R"({"type": ["string", "null"]})"),
            "SUM_TYPE_EXTENDED #/");
  EXPECT_EQ(differences(R"({"type": "string"})", "{}"), "");
  EXPECT_EQ(differences(R"({"type": "string"})", "true"), "");
  EXPECT_EQ(differences("false", R"({"type": "string"})"), "");
}

TEST(JsonCompatibility, ContentModels) {
  const char* open = R"({"properties": {"a": {"type": "string"}}})";
  const char* open_plus = R"({"properties": {"a": {"type": "string"}, "b": {"type": "number"}}})";
  const char* closed =
      R"({"properties": {"a": {"type": "string"}}, "additionalProperties": false})";
  const char* closed_plus = R"({"properties": {"a": {"type": "string"}, "b": {"type": "number"}},
      "additionalProperties": false})";
  EXPECT_EQ(differences(open, open_plus),
            "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b");
  EXPECT_FALSE(backward(open, open_plus));
  EXPECT_TRUE(backward(open, open_plus, compatibility_policy::lenient));
  EXPECT_EQ(differences(closed, closed_plus),
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b");
  EXPECT_TRUE(backward(closed, closed_plus));
  EXPECT_EQ(differences(closed_plus, closed),
            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b");
  EXPECT_EQ(differences(open_plus, open),
            "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/b");
  const char* partial = R"({"properties": {"a": {"type": "string"}},
      "additionalProperties": {"type": "number"}})";
  EXPECT_EQ(
      differences(partial, R"({"properties": {"a": {"type": "string"}, "b": {"type": "number"}},
      "additionalProperties": {"type": "number"}})"),
      "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/b; "
      "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b");
}

TEST(JsonCompatibility, RequiredAndDefaults) {
  const char* before = R"({"properties": {"a": {"type": "string"}}})";
  EXPECT_EQ(differences(before, R"({"properties": {"a": {"type": "string"}}, "required": ["a"]})"),
            "REQUIRED_ATTRIBUTE_ADDED #/required/a");
  EXPECT_EQ(differences(before, R"({"properties": {"a": {"type": "string", "default": ""}},
      "required": ["a"]})"),
            "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED #/required/a; DEFAULT_CHANGED #/properties/a");
}

TEST(JsonCompatibility, CombinedSchemasMatchBranches) {
  EXPECT_EQ(differences(R"({"oneOf": [{"type": "string"}, {"type": "integer"}]})",
                        R"({"oneOf": [{"type": "integer"}, {"type": "string"}]})"),
            "");
  EXPECT_EQ(differences(R"({"anyOf": [{"type": "string"}, {"type": "integer"}]})",
                        R"({"anyOf": [{"type": "string"}]})"),
            "SUM_TYPE_NARROWED #/");
  EXPECT_EQ(differences(R"({"anyOf": [{"type": "string"}, {"type": "integer"}]})",
                        R"({"anyOf": [{"type": "string"}, {"type": "boolean"}]})"),
            "COMBINED_TYPE_SUBSCHEMAS_CHANGED #/");
  EXPECT_EQ(
      differences(R"({"allOf": [{"type": "string"}, {"maxLength": 3}]})", R"({"type": "string"})"),
      "PRODUCT_TYPE_NARROWED #/");
  EXPECT_EQ(differences(R"({"not": {"type": "string"}})", R"({"not": {"type": "integer"}})"),
            "NOT_TYPE_EXTENDED #/not");
}

TEST(JsonCompatibility, NumbersStringsArrays) {
  EXPECT_EQ(differences(R"({"type": "number", "minimum": 1, "maximum": 5, "multipleOf": 2})",
                        R"({"type": "number", "minimum": 0, "maximum": 4, "multipleOf": 4})"),
            "MAXIMUM_DECREASED #/maximum; MINIMUM_DECREASED #/minimum; MULTIPLE_OF_EXPANDED "
            "#/multipleOf");
  EXPECT_EQ(
      differences(R"({"type": "string", "pattern": "a"})", R"({"type": "string", "maxLength": 3})"),
      "MAX_LENGTH_ADDED #/maxLength; PATTERN_REMOVED #/pattern");
  EXPECT_EQ(differences(R"({"type": "array", "items": {"type": "string"}})",
                        R"({"type": "array", "items": {"type": "string"}, "uniqueItems": true,
                            "maxItems": 3})"),
            "MAX_ITEMS_ADDED #/maxItems; UNIQUE_ITEMS_ADDED #/uniqueItems");
  EXPECT_EQ(differences(R"({"items": [{}, {}], "additionalItems": false})",
                        R"({"items": [{}], "additionalItems": false})"),
            "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL #/items/1");
}

TEST(JsonCompatibility, RefsAndRecursion) {
  const char* list_v1 = R"({"definitions": {"cell": {"type": "object", "properties": {
      "value": {"type": "number"}, "next": {"$ref": "#/definitions/cell"}}}},
      "$ref": "#/definitions/cell"})";
  const char* list_v2 = R"({"definitions": {"cell": {"type": "object", "properties": {
      "value": {"type": "integer"}, "next": {"$ref": "#/definitions/cell"}}}},
      "$ref": "#/definitions/cell"})";
  EXPECT_EQ(differences(list_v1, list_v1), "");
  EXPECT_EQ(differences(list_v1, list_v2), "TYPE_NARROWED #/properties/value");
  std::vector<reference> refs = {{"money.json", R"({"type": "number"})"},
                                 {"cents.json", R"({"type": "integer"})"}};
  EXPECT_EQ(differences(R"({"properties": {"price": {"$ref": "money.json"}}})",
                        R"({"properties": {"price": {"$ref": "cents.json"}}})", refs),
            "TYPE_NARROWED #/properties/price");
}

TEST(JsonCompatibility, ConfluentMessages) {
  difference d{difference_type::type_narrowed, "#/properties/a"};
  EXPECT_EQ(describe(d, "new", "old"),
            "{errorType:\"TYPE_NARROWED\", description:\"A type at path '#/properties/a' is "
            "different between the new schema and the old schema'}");
  difference removed{difference_type::property_removed_from_closed_content_model, "#/properties/b"};
  EXPECT_EQ(
      describe(removed, "old", "new"),
      "{errorType:\"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL\", description:\"The old has a "
      "closed content model and is missing a property or item present at path "
      "'#/properties/b' in the new schema'}");
  EXPECT_TRUE(incompatible(difference_type::type_narrowed));
  EXPECT_FALSE(incompatible(difference_type::type_extended));
  EXPECT_TRUE(incompatible(difference_type::optional_property_added_to_open_content_model));
  EXPECT_FALSE(incompatible(difference_type::optional_property_added_to_open_content_model,
                            compatibility_policy::lenient));
  EXPECT_EQ(to_string(difference_type::required_property_added_to_unopen_content_model),
            "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL");
}

}  // namespace
}  // namespace wharf::schema::json
