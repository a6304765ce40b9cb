// Compatibility of two JSON Schemas by Confluent Schema Registry's rules (its
// json-schema-provider `diff` package): the schemas are seen as typed schema objects the
// way the everit loader builds them (string, number, object, array, enum, const, not,
// combined...), compared keyword by keyword, and every difference gets Confluent's type
// name and JSON path. A change is compatible when every difference is in Confluent's set
// of compatible changes (strict, the default, or lenient).
//
// `check(original, update)` answers "can `update` read data written with `original`?":
//   BACKWARD (new reads old):  check(old, new), messages labelled ("new", "old");
//   FORWARD  (old reads new):  check(new, old), messages labelled ("old", "new");
//   FULL: both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/json_schema.h"

namespace wharf::schema::json {

enum class difference_type {
  id_changed,
  description_changed,
  title_changed,
  default_changed,
  schema_added,
  schema_removed,
  type_extended,
  type_narrowed,
  type_changed,
  max_length_added,
  max_length_removed,
  max_length_increased,
  max_length_decreased,
  min_length_added,
  min_length_removed,
  min_length_increased,
  min_length_decreased,
  pattern_added,
  pattern_removed,
  pattern_changed,
  maximum_added,
  maximum_removed,
  maximum_increased,
  maximum_decreased,
  minimum_added,
  minimum_removed,
  minimum_increased,
  minimum_decreased,
  exclusive_maximum_added,
  exclusive_maximum_removed,
  exclusive_maximum_increased,
  exclusive_maximum_decreased,
  exclusive_minimum_added,
  exclusive_minimum_removed,
  exclusive_minimum_increased,
  exclusive_minimum_decreased,
  multiple_of_added,
  multiple_of_removed,
  multiple_of_expanded,
  multiple_of_reduced,
  multiple_of_changed,
  required_attribute_added,
  required_attribute_with_default_added,
  required_attribute_removed,
  max_properties_added,
  max_properties_removed,
  max_properties_increased,
  max_properties_decreased,
  min_properties_added,
  min_properties_removed,
  min_properties_increased,
  min_properties_decreased,
  additional_properties_added,
  additional_properties_removed,
  additional_properties_extended,
  additional_properties_narrowed,
  dependency_array_added,
  dependency_array_removed,
  dependency_array_extended,
  dependency_array_narrowed,
  dependency_array_changed,
  dependency_schema_added,
  dependency_schema_removed,
  required_property_added_to_open_content_model,
  required_property_with_default_added_to_open_content_model,
  optional_property_added_to_open_content_model,
  property_with_empty_schema_added_to_open_content_model,
  required_property_added_to_unopen_content_model,
  required_property_with_default_added_to_unopen_content_model,
  optional_property_added_to_unopen_content_model,
  property_removed_from_open_content_model,
  property_with_false_removed_from_closed_content_model,
  property_removed_from_closed_content_model,
  property_removed_is_covered_by_partially_open_content_model,
  property_removed_not_covered_by_partially_open_content_model,
  property_added_is_covered_by_partially_open_content_model,
  property_added_not_covered_by_partially_open_content_model,
  unevaluated_properties_added,
  unevaluated_properties_removed,
  unevaluated_properties_extended,
  unevaluated_properties_narrowed,
  max_items_added,
  max_items_removed,
  max_items_increased,
  max_items_decreased,
  min_items_added,
  min_items_removed,
  min_items_increased,
  min_items_decreased,
  max_contains_added,
  max_contains_removed,
  max_contains_increased,
  max_contains_decreased,
  min_contains_added,
  min_contains_removed,
  min_contains_increased,
  min_contains_decreased,
  unique_items_added,
  unique_items_removed,
  additional_items_added,
  additional_items_removed,
  additional_items_extended,
  additional_items_narrowed,
  unevaluated_items_added,
  unevaluated_items_removed,
  unevaluated_items_extended,
  unevaluated_items_narrowed,
  item_added_to_open_content_model,
  item_with_empty_schema_added_to_open_content_model,
  item_added_to_closed_content_model,
  item_removed_from_open_content_model,
  item_with_false_removed_from_closed_content_model,
  item_removed_from_closed_content_model,
  item_removed_is_covered_by_partially_open_content_model,
  item_removed_not_covered_by_partially_open_content_model,
  item_added_is_covered_by_partially_open_content_model,
  item_added_not_covered_by_partially_open_content_model,
  enum_array_extended,
  enum_array_narrowed,
  enum_array_changed,
  combined_type_extended,
  combined_type_changed,
  product_type_extended,
  product_type_narrowed,
  sum_type_extended,
  sum_type_narrowed,
  combined_type_subschemas_changed,
  not_type_extended,
  not_type_narrowed,
};

// "TYPE_NARROWED", "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", ...
std::string_view to_string(difference_type type);

// Confluent's two sets of compatible changes: lenient also lets an open content model
// gain optional properties and a closed one lose properties.
enum class compatibility_policy { strict, lenient };

struct difference {
  difference_type type;
  std::string path;  // Confluent's form: "#/properties/address/required/zip" ("#/" = root)
};

bool incompatible(const difference& d, compatibility_policy policy = compatibility_policy::strict);
bool incompatible(difference_type type, compatibility_policy policy = compatibility_policy::strict);

// Every difference between the two schemas (compatible ones included), as Confluent's
// SchemaDiff.compare(original, update) lists them. The policy matters inside: whether a
// branch of a combined schema matches depends on which changes are compatible.
std::vector<difference> check(const schema& original, const schema& update,
                              compatibility_policy policy = compatibility_policy::strict);

// Confluent's message for one difference, its two "%s" filled with the reader's and the
// writer's labels: BACKWARD uses ("new", "old"), FORWARD ("old", "new"). The result reads
//   {errorType:"TYPE_CHANGED", description:"A type at path '#/properties/a' is different
//   between the new schema and the old schema'}
// (the stray quote before "}" is Confluent's too).
std::string describe(const difference& d, std::string_view reader_label,
                     std::string_view writer_label);

// The incompatible differences' messages for `update` reading `original`'s data; empty
// when compatible. Mirrors JsonSchema.isBackwardCompatible + the registry's formatting.
std::vector<std::string> incompatibility_messages(
    const schema& original, const schema& update, std::string_view reader_label,
    std::string_view writer_label, compatibility_policy policy = compatibility_policy::strict);

// BACKWARD: can `update` (new) read data written with `original` (old)?
inline bool is_backward_compatible(const schema& update, const schema& original,
                                   compatibility_policy policy = compatibility_policy::strict) {
  for (const auto& d : check(original, update, policy)) {
    if (incompatible(d, policy)) return false;
  }
  return true;
}

}  // namespace wharf::schema::json
