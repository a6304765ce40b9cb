// Confluent's JSON Schema compatibility rules. Confluent compares the typed schema objects
// its loader (everit) builds, not the JSON: a schema with "type": ["string", "null"] is an
// anyOf of a string schema and a null schema, one with both "enum" and "type" an allOf of
// an enum schema and a typed one, and so on. `view` reproduces that reading lazily: a
// view is one JSON schema value plus which part of it is meant.
#include "schema/json_compatibility.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <tuple>

namespace wharf::schema::json {

namespace bj = boost::json;
using dt = difference_type;

std::string_view to_string(difference_type type) {
  switch (type) {
    case difference_type::id_changed: return "ID_CHANGED";
    case difference_type::description_changed: return "DESCRIPTION_CHANGED";
    case difference_type::title_changed: return "TITLE_CHANGED";
    case difference_type::default_changed: return "DEFAULT_CHANGED";
    case difference_type::schema_added: return "SCHEMA_ADDED";
    case difference_type::schema_removed: return "SCHEMA_REMOVED";
    case difference_type::type_extended: return "TYPE_EXTENDED";
    case difference_type::type_narrowed: return "TYPE_NARROWED";
    case difference_type::type_changed: return "TYPE_CHANGED";
    case difference_type::max_length_added: return "MAX_LENGTH_ADDED";
    case difference_type::max_length_removed: return "MAX_LENGTH_REMOVED";
    case difference_type::max_length_increased: return "MAX_LENGTH_INCREASED";
    case difference_type::max_length_decreased: return "MAX_LENGTH_DECREASED";
    case difference_type::min_length_added: return "MIN_LENGTH_ADDED";
    case difference_type::min_length_removed: return "MIN_LENGTH_REMOVED";
    case difference_type::min_length_increased: return "MIN_LENGTH_INCREASED";
    case difference_type::min_length_decreased: return "MIN_LENGTH_DECREASED";
    case difference_type::pattern_added: return "PATTERN_ADDED";
    case difference_type::pattern_removed: return "PATTERN_REMOVED";
    case difference_type::pattern_changed: return "PATTERN_CHANGED";
    case difference_type::maximum_added: return "MAXIMUM_ADDED";
    case difference_type::maximum_removed: return "MAXIMUM_REMOVED";
    case difference_type::maximum_increased: return "MAXIMUM_INCREASED";
    case difference_type::maximum_decreased: return "MAXIMUM_DECREASED";
    case difference_type::minimum_added: return "MINIMUM_ADDED";
    case difference_type::minimum_removed: return "MINIMUM_REMOVED";
    case difference_type::minimum_increased: return "MINIMUM_INCREASED";
    case difference_type::minimum_decreased: return "MINIMUM_DECREASED";
    case difference_type::exclusive_maximum_added: return "EXCLUSIVE_MAXIMUM_ADDED";
    case difference_type::exclusive_maximum_removed: return "EXCLUSIVE_MAXIMUM_REMOVED";
    case difference_type::exclusive_maximum_increased: return "EXCLUSIVE_MAXIMUM_INCREASED";
    case difference_type::exclusive_maximum_decreased: return "EXCLUSIVE_MAXIMUM_DECREASED";
    case difference_type::exclusive_minimum_added: return "EXCLUSIVE_MINIMUM_ADDED";
    case difference_type::exclusive_minimum_removed: return "EXCLUSIVE_MINIMUM_REMOVED";
    case difference_type::exclusive_minimum_increased: return "EXCLUSIVE_MINIMUM_INCREASED";
    case difference_type::exclusive_minimum_decreased: return "EXCLUSIVE_MINIMUM_DECREASED";
    case difference_type::multiple_of_added: return "MULTIPLE_OF_ADDED";
    case difference_type::multiple_of_removed: return "MULTIPLE_OF_REMOVED";
    case difference_type::multiple_of_expanded: return "MULTIPLE_OF_EXPANDED";
    case difference_type::multiple_of_reduced: return "MULTIPLE_OF_REDUCED";
    case difference_type::multiple_of_changed: return "MULTIPLE_OF_CHANGED";
    case difference_type::required_attribute_added: return "REQUIRED_ATTRIBUTE_ADDED";
    case difference_type::required_attribute_with_default_added:
      return "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED";
    case difference_type::required_attribute_removed: return "REQUIRED_ATTRIBUTE_REMOVED";
    case difference_type::max_properties_added: return "MAX_PROPERTIES_ADDED";
    case difference_type::max_properties_removed: return "MAX_PROPERTIES_REMOVED";
    case difference_type::max_properties_increased: return "MAX_PROPERTIES_INCREASED";
    case difference_type::max_properties_decreased: return "MAX_PROPERTIES_DECREASED";
    case difference_type::min_properties_added: return "MIN_PROPERTIES_ADDED";
    case difference_type::min_properties_removed: return "MIN_PROPERTIES_REMOVED";
    case difference_type::min_properties_increased: return "MIN_PROPERTIES_INCREASED";
    case difference_type::min_properties_decreased: return "MIN_PROPERTIES_DECREASED";
    case difference_type::additional_properties_added: return "ADDITIONAL_PROPERTIES_ADDED";
    case difference_type::additional_properties_removed: return "ADDITIONAL_PROPERTIES_REMOVED";
    case difference_type::additional_properties_extended: return "ADDITIONAL_PROPERTIES_EXTENDED";
    case difference_type::additional_properties_narrowed: return "ADDITIONAL_PROPERTIES_NARROWED";
    case difference_type::dependency_array_added: return "DEPENDENCY_ARRAY_ADDED";
    case difference_type::dependency_array_removed: return "DEPENDENCY_ARRAY_REMOVED";
    case difference_type::dependency_array_extended: return "DEPENDENCY_ARRAY_EXTENDED";
    case difference_type::dependency_array_narrowed: return "DEPENDENCY_ARRAY_NARROWED";
    case difference_type::dependency_array_changed: return "DEPENDENCY_ARRAY_CHANGED";
    case difference_type::dependency_schema_added: return "DEPENDENCY_SCHEMA_ADDED";
    case difference_type::dependency_schema_removed: return "DEPENDENCY_SCHEMA_REMOVED";
    case difference_type::required_property_added_to_open_content_model:
      return "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL";
    case difference_type::required_property_with_default_added_to_open_content_model:
      return "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL";
    case difference_type::optional_property_added_to_open_content_model:
      return "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL";
    case difference_type::property_with_empty_schema_added_to_open_content_model:
      return "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL";
    case difference_type::required_property_added_to_unopen_content_model:
      return "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL";
    case difference_type::required_property_with_default_added_to_unopen_content_model:
      return "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL";
    case difference_type::optional_property_added_to_unopen_content_model:
      return "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL";
    case difference_type::property_removed_from_open_content_model:
      return "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL";
    case difference_type::property_with_false_removed_from_closed_content_model:
      return "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL";
    case difference_type::property_removed_from_closed_content_model:
      return "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL";
    case difference_type::property_removed_is_covered_by_partially_open_content_model:
      return "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL";
    case difference_type::property_removed_not_covered_by_partially_open_content_model:
      return "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL";
    case difference_type::property_added_is_covered_by_partially_open_content_model:
      return "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL";
    case difference_type::property_added_not_covered_by_partially_open_content_model:
      return "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL";
    case difference_type::unevaluated_properties_added: return "UNEVALUATED_PROPERTIES_ADDED";
    case difference_type::unevaluated_properties_removed: return "UNEVALUATED_PROPERTIES_REMOVED";
    case difference_type::unevaluated_properties_extended: return "UNEVALUATED_PROPERTIES_EXTENDED";
    case difference_type::unevaluated_properties_narrowed: return "UNEVALUATED_PROPERTIES_NARROWED";
    case difference_type::max_items_added: return "MAX_ITEMS_ADDED";
    case difference_type::max_items_removed: return "MAX_ITEMS_REMOVED";
    case difference_type::max_items_increased: return "MAX_ITEMS_INCREASED";
    case difference_type::max_items_decreased: return "MAX_ITEMS_DECREASED";
    case difference_type::min_items_added: return "MIN_ITEMS_ADDED";
    case difference_type::min_items_removed: return "MIN_ITEMS_REMOVED";
    case difference_type::min_items_increased: return "MIN_ITEMS_INCREASED";
    case difference_type::min_items_decreased: return "MIN_ITEMS_DECREASED";
    case difference_type::max_contains_added: return "MAX_CONTAINS_ADDED";
    case difference_type::max_contains_removed: return "MAX_CONTAINS_REMOVED";
    case difference_type::max_contains_increased: return "MAX_CONTAINS_INCREASED";
    case difference_type::max_contains_decreased: return "MAX_CONTAINS_DECREASED";
    case difference_type::min_contains_added: return "MIN_CONTAINS_ADDED";
    case difference_type::min_contains_removed: return "MIN_CONTAINS_REMOVED";
    case difference_type::min_contains_increased: return "MIN_CONTAINS_INCREASED";
    case difference_type::min_contains_decreased: return "MIN_CONTAINS_DECREASED";
    case difference_type::unique_items_added: return "UNIQUE_ITEMS_ADDED";
    case difference_type::unique_items_removed: return "UNIQUE_ITEMS_REMOVED";
    case difference_type::additional_items_added: return "ADDITIONAL_ITEMS_ADDED";
    case difference_type::additional_items_removed: return "ADDITIONAL_ITEMS_REMOVED";
    case difference_type::additional_items_extended: return "ADDITIONAL_ITEMS_EXTENDED";
    case difference_type::additional_items_narrowed: return "ADDITIONAL_ITEMS_NARROWED";
    case difference_type::unevaluated_items_added: return "UNEVALUATED_ITEMS_ADDED";
    case difference_type::unevaluated_items_removed: return "UNEVALUATED_ITEMS_REMOVED";
    case difference_type::unevaluated_items_extended: return "UNEVALUATED_ITEMS_EXTENDED";
    case difference_type::unevaluated_items_narrowed: return "UNEVALUATED_ITEMS_NARROWED";
    case difference_type::item_added_to_open_content_model:
      return "ITEM_ADDED_TO_OPEN_CONTENT_MODEL";
    case difference_type::item_with_empty_schema_added_to_open_content_model:
      return "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL";
    case difference_type::item_added_to_closed_content_model:
      return "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL";
    case difference_type::item_removed_from_open_content_model:
      return "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL";
    case difference_type::item_with_false_removed_from_closed_content_model:
      return "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL";
    case difference_type::item_removed_from_closed_content_model:
      return "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL";
    case difference_type::item_removed_is_covered_by_partially_open_content_model:
      return "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL";
    case difference_type::item_removed_not_covered_by_partially_open_content_model:
      return "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL";
    case difference_type::item_added_is_covered_by_partially_open_content_model:
      return "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL";
    case difference_type::item_added_not_covered_by_partially_open_content_model:
      return "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL";
    case difference_type::enum_array_extended: return "ENUM_ARRAY_EXTENDED";
    case difference_type::enum_array_narrowed: return "ENUM_ARRAY_NARROWED";
    case difference_type::enum_array_changed: return "ENUM_ARRAY_CHANGED";
    case difference_type::combined_type_extended: return "COMBINED_TYPE_EXTENDED";
    case difference_type::combined_type_changed: return "COMBINED_TYPE_CHANGED";
    case difference_type::product_type_extended: return "PRODUCT_TYPE_EXTENDED";
    case difference_type::product_type_narrowed: return "PRODUCT_TYPE_NARROWED";
    case difference_type::sum_type_extended: return "SUM_TYPE_EXTENDED";
    case difference_type::sum_type_narrowed: return "SUM_TYPE_NARROWED";
    case difference_type::combined_type_subschemas_changed:
      return "COMBINED_TYPE_SUBSCHEMAS_CHANGED";
    case difference_type::not_type_extended: return "NOT_TYPE_EXTENDED";
    case difference_type::not_type_narrowed: return "NOT_TYPE_NARROWED";
  }
  return "?";
}

namespace {

const std::set<dt>& strict_compatible_changes() {
  static const std::set<dt> changes = {
      dt::id_changed,
      dt::description_changed,
      dt::title_changed,
      dt::default_changed,
      dt::schema_removed,
      dt::type_extended,
      dt::max_length_increased,
      dt::max_length_removed,
      dt::min_length_decreased,
      dt::min_length_removed,
      dt::pattern_removed,
      dt::maximum_increased,
      dt::maximum_removed,
      dt::minimum_decreased,
      dt::minimum_removed,
      dt::exclusive_maximum_increased,
      dt::exclusive_maximum_removed,
      dt::exclusive_minimum_decreased,
      dt::exclusive_minimum_removed,
      dt::multiple_of_reduced,
      dt::multiple_of_removed,
      dt::required_attribute_with_default_added,
      dt::required_attribute_removed,
      dt::dependency_array_narrowed,
      dt::dependency_array_removed,
      dt::dependency_schema_removed,
      dt::max_properties_increased,
      dt::max_properties_removed,
      dt::min_properties_decreased,
      dt::min_properties_removed,
      dt::additional_properties_added,
      dt::additional_properties_extended,
      dt::unevaluated_properties_added,
      dt::unevaluated_properties_extended,
      dt::property_with_empty_schema_added_to_open_content_model,
      dt::required_property_with_default_added_to_unopen_content_model,
      dt::optional_property_added_to_unopen_content_model,
      dt::property_with_false_removed_from_closed_content_model,
      dt::property_removed_from_open_content_model,
      dt::property_added_is_covered_by_partially_open_content_model,
      dt::property_removed_is_covered_by_partially_open_content_model,
      dt::max_items_increased,
      dt::max_items_removed,
      dt::min_items_decreased,
      dt::min_items_removed,
      dt::max_contains_increased,
      dt::max_contains_removed,
      dt::min_contains_decreased,
      dt::min_contains_removed,
      dt::unique_items_removed,
      dt::additional_items_added,
      dt::additional_items_extended,
      dt::unevaluated_items_added,
      dt::unevaluated_items_extended,
      dt::item_with_empty_schema_added_to_open_content_model,
      dt::item_added_to_closed_content_model,
      dt::item_with_false_removed_from_closed_content_model,
      dt::item_removed_from_open_content_model,
      dt::item_added_is_covered_by_partially_open_content_model,
      dt::item_removed_is_covered_by_partially_open_content_model,
      dt::enum_array_extended,
      dt::combined_type_extended,
      dt::product_type_narrowed,
      dt::sum_type_extended,
      dt::not_type_narrowed};
  return changes;
}

const std::set<dt>& lenient_compatible_changes() {
  static const std::set<dt> changes = [] {
    auto all = strict_compatible_changes();
    all.insert({dt::additional_properties_narrowed, dt::additional_properties_removed,
                dt::unevaluated_properties_narrowed, dt::unevaluated_properties_removed,
                dt::required_property_with_default_added_to_open_content_model,
                dt::optional_property_added_to_open_content_model,
                dt::property_removed_from_open_content_model,
                dt::property_removed_from_closed_content_model,
                dt::property_added_not_covered_by_partially_open_content_model,
                dt::property_removed_not_covered_by_partially_open_content_model});
    return all;
  }();
  return changes;
}

// ---- The typed reading of a schema ----------------------------------------------------

enum class part {
  whole,
  enum_,
  const_,
  not_,
  all_of,
  any_of,
  one_of,
  type_list,  // "type": [...] read as anyOf of one typed schema per type
  type_string,
  type_number,
  type_integer,
  type_boolean,
  type_null,
  type_object,
  type_array,
  // Type keywords without "type": the typed schema does not require its type.
  sniff_string,
  sniff_number,
  sniff_object,
  sniff_array,
};

// The class of a schema object in Confluent's model: two schemas of different kinds are
// TYPE_CHANGED (combined schemas aside).
enum class kind {
  empty,
  true_,
  false_,
  string,
  number,
  boolean,
  null,
  object,
  array,
  enum_,
  const_,
  not_,
  combined
};

struct view {
  const bj::value* source = nullptr;  // null: no schema (absent keyword)
  part what = part::whole;
};

struct shape {
  kind k = kind::empty;
  const bj::object* keywords = nullptr;  // where the kind's keywords are read
  std::string criterion;                 // combined: "allOf", "anyOf", "oneOf"
  std::vector<view> subschemas;          // combined
  bool requires_integer = false;         // number
  bool synthetic = false;                // combined made by the loader, not the author
};

bool has_any(const bj::object& o, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    if (o.contains(key)) return true;
  }
  return false;
}

part typed_part(std::string_view type) {
  if (type == "string") return part::type_string;
  if (type == "number") return part::type_number;
  if (type == "integer") return part::type_integer;
  if (type == "boolean") return part::type_boolean;
  if (type == "null") return part::type_null;
  if (type == "object") return part::type_object;
  return part::type_array;
}

class comparer {
 public:
  comparer(const schema& original, const schema& update, compatibility_policy policy)
      : original_(original), update_(update), policy_(policy) {}

  struct context {
    compatibility_policy policy;
    std::vector<std::string> path;
    std::vector<difference> diffs;

    std::string path_string() const {
      std::string out = "#/";
      for (std::size_t i = 0; i < path.size(); ++i) {
        if (i > 0) out += '/';
        out += path[i];
      }
      return out;
    }
    void add(dt type) { diffs.push_back({type, path_string()}); }
    void add(std::string_view attribute, dt type) {
      path.emplace_back(attribute);
      add(type);
      path.pop_back();
    }
    void add_all(const std::vector<difference>& more) {
      diffs.insert(diffs.end(), more.begin(), more.end());
    }
    bool compatible() const {
      for (const auto& d : diffs) {
        if (incompatible(d, policy)) return false;
      }
      return true;
    }
    context sub() const { return context{policy, path, {}}; }
  };

  // RAII path segment.
  struct scope {
    scope(context& c, std::string segment) : c_(c) { c_.path.push_back(std::move(segment)); }
    ~scope() { c_.path.pop_back(); }
    context& c_;
  };

  std::vector<difference> run() {
    context root{policy_, {}, {}};
    compare(root, {&original_.root(), part::whole}, {&update_.root(), part::whole});
    return std::move(root.diffs);
  }

  void compare(context& ctx, view original, view update) {
    if (!original.source && !update.source) return;
    if (!original.source) return ctx.add(dt::schema_added);
    if (!update.source) return ctx.add(dt::schema_removed);
    original = resolve(original_, original);
    update = resolve(update_, update);
    // Memoized per pair, which also bounds recursive schemas: a pair already being
    // compared further up counts as compatible (Confluent truncates cycles the same way).
    auto key = std::make_tuple(original.source, original.what, update.source, update.what);
    if (auto done = memo_.find(key); done != memo_.end()) return rebase(ctx, done->second);
    // A safety net for adversarial inputs (real schemas never get close): past it, the
    // rest is not compared.
    if (++steps_ > 200000 || in_progress_.size() > 1000) return;
    if (!in_progress_.insert(key).second) return;
    context pair{policy_, {}, {}};
    compare_types(pair, original, update);
    in_progress_.erase(key);
    memo_.emplace(key, pair.diffs);
    rebase(ctx, pair.diffs);
  }

 private:
  // Differences found for a pair have paths relative to it ("#/x"); place them under the
  // current path.
  static void rebase(context& ctx, const std::vector<difference>& relative) {
    std::string prefix = ctx.path_string();
    for (const auto& d : relative) {
      std::string tail = d.path.substr(2);
      std::string path = prefix;
      if (!tail.empty()) {
        if (path.size() > 2) path += '/';
        path += tail;
      }
      ctx.diffs.push_back({d.type, std::move(path)});
    }
  }

  // A whole-schema view of an object with "$ref" is the schema it points to.
  view resolve(const schema& owner, view v) {
    for (int hops = 0; hops < 64 && v.what == part::whole && v.source->is_object(); ++hops) {
      const auto& object = v.source->get_object();
      if (!object.contains("$ref")) return v;
      const bj::value* target = owner.ref_target(object);
      if (!target) target = other(owner).ref_target(object);
      if (!target) return v;
      v.source = target;
    }
    return v;
  }

  const schema& other(const schema& s) const { return &s == &original_ ? update_ : original_; }

  // The loader's reading of one view, one level deep.
  shape read(view v) const {
    shape s;
    const bj::value& value = *v.source;
    if (value.is_bool()) {
      s.k = value.get_bool() ? kind::true_ : kind::false_;
      return s;
    }
    if (!value.is_object()) return s;
    const bj::object& o = value.get_object();
    s.keywords = &o;
    auto combined = [&](const char* keyword) {
      s.k = kind::combined;
      s.criterion = keyword;
      if (const auto* list = o.if_contains(keyword); list && list->is_array()) {
        for (const auto& sub : list->get_array()) s.subschemas.push_back({&sub, part::whole});
      }
    };
    switch (v.what) {
      case part::whole: {
        std::vector<part> parts = parts_of(o);
        if (parts.empty()) return s;  // empty schema
        if (parts.size() == 1) return read({v.source, parts.front()});
        s.k = kind::combined;
        s.criterion = "allOf";
        s.synthetic = true;
        for (auto p : parts) s.subschemas.push_back({v.source, p});
        return s;
      }
      case part::enum_: s.k = kind::enum_; return s;
      case part::const_: s.k = kind::const_; return s;
      case part::not_: s.k = kind::not_; return s;
      case part::all_of: combined("allOf"); return s;
      case part::any_of: combined("anyOf"); return s;
      case part::one_of: combined("oneOf"); return s;
      case part::type_list: {
        s.k = kind::combined;
        s.criterion = "anyOf";
        s.synthetic = true;
        for (const auto& t : o.at("type").get_array()) {
          s.subschemas.push_back({v.source, typed_part(t.get_string())});
        }
        return s;
      }
      case part::type_string:
      case part::sniff_string: s.k = kind::string; return s;
      case part::type_integer:
        s.k = kind::number;
        s.requires_integer = true;
        return s;
      case part::type_number:
      case part::sniff_number: s.k = kind::number; return s;
      case part::type_boolean: s.k = kind::boolean; return s;
      case part::type_null: s.k = kind::null; return s;
      case part::type_object:
      case part::sniff_object: s.k = kind::object; return s;
      case part::type_array:
      case part::sniff_array: s.k = kind::array; return s;
    }
    return s;
  }

  // What the loader builds from one schema object, in its order.
  static std::vector<part> parts_of(const bj::object& o) {
    std::vector<part> parts;
    if (o.contains("enum")) parts.push_back(part::enum_);
    if (o.contains("allOf")) parts.push_back(part::all_of);
    if (o.contains("anyOf")) parts.push_back(part::any_of);
    if (o.contains("oneOf")) parts.push_back(part::one_of);
    if (o.contains("not")) parts.push_back(part::not_);
    if (o.contains("const")) parts.push_back(part::const_);
    if (const auto* type = o.if_contains("type")) {
      if (type->is_string()) {
        parts.push_back(typed_part(type->get_string()));
      } else if (type->is_array() && type->get_array().size() == 1 &&
                 type->get_array()[0].is_string()) {
        parts.push_back(typed_part(type->get_array()[0].get_string()));
      } else if (type->is_array()) {
        parts.push_back(part::type_list);
      }
    } else {
      if (has_any(o, {"minLength", "maxLength", "pattern", "format"})) {
        parts.push_back(part::sniff_string);
      }
      if (has_any(o,
                  {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})) {
        parts.push_back(part::sniff_number);
      }
      if (has_any(o, {"properties", "required", "additionalProperties", "patternProperties",
                      "minProperties", "maxProperties", "dependencies", "dependentRequired",
                      "dependentSchemas", "propertyNames", "unevaluatedProperties"})) {
        parts.push_back(part::sniff_object);
      }
      if (has_any(o, {"items", "prefixItems", "additionalItems", "minItems", "maxItems",
                      "uniqueItems", "contains", "unevaluatedItems"})) {
        parts.push_back(part::sniff_array);
      }
    }
    return parts;
  }

  static bool is_empty_kind(kind k) { return k == kind::empty || k == kind::true_; }

  // Confluent's schemaTypesEqual: same class, or both combined. `true` is a subclass of
  // the empty schema but not the same class.
  static bool same_kind(const shape& a, const shape& b) { return a.k == b.k; }

  void compare_types(context& ctx, view original_view, view update_view) {
    shape original = read(original_view);
    shape update = read(update_view);
    if (original.k != kind::combined && update.k == kind::combined) {
      if (update.subschemas.size() == 1) {
        context sub = ctx.sub();
        compare(sub, original_view, update.subschemas.front());
        if (sub.compatible()) return ctx.add_all(sub.diffs);
      } else if (update.criterion == "anyOf" || update.criterion == "oneOf") {
        for (const auto& branch : update.subschemas) {
          context sub = ctx.sub();
          compare(sub, original_view, branch);
          if (sub.compatible()) {
            ctx.add_all(sub.diffs);
            ctx.add(dt::sum_type_extended);
            return;
          }
        }
      }
    } else if (original.k == kind::combined && update.k != kind::combined) {
      if (original.subschemas.size() == 1) {
        context sub = ctx.sub();
        compare(sub, original.subschemas.front(), update_view);
        if (sub.compatible()) return ctx.add_all(sub.diffs);
      } else if (original.criterion == "allOf") {
        for (const auto& branch : original.subschemas) {
          context sub = ctx.sub();
          compare(sub, branch, update_view);
          if (sub.compatible()) {
            ctx.add_all(sub.diffs);
            ctx.add(dt::product_type_narrowed);
            return;
          }
        }
      }
    }

    if (!same_kind(original, update)) {
      // Anything can be read as the empty schema, and the false schema has no data.
      if (original.k == kind::false_ || is_empty_kind(update.k)) return;
      if (connect_bytes(original) && connect_bytes(update)) return;
      return ctx.add(dt::type_changed);
    }

    compare_annotations(ctx, original, update);
    switch (original.k) {
      case kind::string: return compare_strings(ctx, *original.keywords, *update.keywords);
      case kind::number: return compare_numbers(ctx, original, update);
      case kind::const_: {
        if (!json_equal(original.keywords->at("const"), update.keywords->at("const"))) {
          ctx.add("const", dt::enum_array_changed);
        }
        return;
      }
      case kind::enum_: return compare_enums(ctx, *original.keywords, *update.keywords);
      case kind::combined: return compare_combined(ctx, original, update);
      case kind::not_: {
        scope in(ctx, "not");
        context sub = ctx.sub();
        // Reversed: the update's "not" must exclude less than the original's.
        compare(sub, {&update.keywords->at("not"), part::whole},
                {&original.keywords->at("not"), part::whole});
        ctx.add(sub.compatible() ? dt::not_type_narrowed : dt::not_type_extended);
        return;
      }
      case kind::object: return compare_objects(ctx, *original.keywords, *update.keywords);
      case kind::array: return compare_arrays(ctx, *original.keywords, *update.keywords);
      default: return;
    }
  }

  // Kafka Connect's JSON converter writes bytes with "connect.type": "bytes"; Confluent
  // lets two such schemas differ in type (a decimal fix in the converter).
  static bool connect_bytes(const shape& s) {
    if (!s.keywords) return false;
    const auto* v = s.keywords->if_contains("connect.type");
    return v && v->is_string() && v->get_string() == "bytes";
  }

  static void compare_annotations(context& ctx, const shape& original, const shape& update) {
    if (!original.keywords || !update.keywords) return;
    auto differs = [&](std::string_view key) {
      const auto* a = original.keywords->if_contains(key);
      const auto* b = update.keywords->if_contains(key);
      if (!a || !b) return (a == nullptr) != (b == nullptr);
      return !json_equal(*a, *b);
    };
    if (differs("$id") || differs("id")) ctx.add(dt::id_changed);
    if (differs("title")) ctx.add(dt::title_changed);
    if (differs("description")) ctx.add(dt::description_changed);
    if (differs("default")) ctx.add(dt::default_changed);
  }

  // The added/removed/increased/decreased pattern of the numeric keywords.
  static void compare_limit(context& ctx, const bj::object& original, const bj::object& update,
                            std::string_view keyword, dt added, dt removed, dt increased,
                            dt decreased) {
    const auto* a = original.if_contains(keyword);
    const auto* b = update.if_contains(keyword);
    std::optional<double> x = a ? as_number(*a) : std::nullopt;
    std::optional<double> y = b ? as_number(*b) : std::nullopt;
    if (!x && !y) return;
    if (!x) return ctx.add(keyword, added);
    if (!y) return ctx.add(keyword, removed);
    if (*x < *y) ctx.add(keyword, increased);
    if (*x > *y) ctx.add(keyword, decreased);
  }

  static void compare_strings(context& ctx, const bj::object& original, const bj::object& update) {
    compare_limit(ctx, original, update, "maxLength", dt::max_length_added, dt::max_length_removed,
                  dt::max_length_increased, dt::max_length_decreased);
    compare_limit(ctx, original, update, "minLength", dt::min_length_added, dt::min_length_removed,
                  dt::min_length_increased, dt::min_length_decreased);
    const auto* a = original.if_contains("pattern");
    const auto* b = update.if_contains("pattern");
    if (!a && b) {
      ctx.add("pattern", dt::pattern_added);
    } else if (a && !b) {
      ctx.add("pattern", dt::pattern_removed);
    } else if (a && b && *a != *b) {
      ctx.add("pattern", dt::pattern_changed);
    }
  }

  // Draft-06+ exclusive limits are numbers; draft-04's boolean form makes minimum or
  // maximum exclusive instead and has no limit of its own.
  static std::optional<double> exclusive_limit(const bj::object& o, std::string_view keyword) {
    const auto* v = o.if_contains(keyword);
    return v ? as_number(*v) : std::nullopt;
  }

  static void compare_numbers(context& ctx, const shape& original_shape,
                              const shape& update_shape) {
    const auto& original = *original_shape.keywords;
    const auto& update = *update_shape.keywords;
    compare_limit(ctx, original, update, "maximum", dt::maximum_added, dt::maximum_removed,
                  dt::maximum_increased, dt::maximum_decreased);
    compare_limit(ctx, original, update, "minimum", dt::minimum_added, dt::minimum_removed,
                  dt::minimum_increased, dt::minimum_decreased);
    auto exclusive = [&](std::string_view keyword, dt added, dt removed, dt increased,
                         dt decreased) {
      auto x = exclusive_limit(original, keyword);
      auto y = exclusive_limit(update, keyword);
      if (!x && !y) return;
      if (!x) return ctx.add(keyword, added);
      if (!y) return ctx.add(keyword, removed);
      if (*x < *y) ctx.add(keyword, increased);
      if (*x > *y) ctx.add(keyword, decreased);
    };
    exclusive("exclusiveMaximum", dt::exclusive_maximum_added, dt::exclusive_maximum_removed,
              dt::exclusive_maximum_increased, dt::exclusive_maximum_decreased);
    exclusive("exclusiveMinimum", dt::exclusive_minimum_added, dt::exclusive_minimum_removed,
              dt::exclusive_minimum_increased, dt::exclusive_minimum_decreased);
    const auto* a = original.if_contains("multipleOf");
    const auto* b = update.if_contains("multipleOf");
    std::optional<double> x = a ? as_number(*a) : std::nullopt;
    std::optional<double> y = b ? as_number(*b) : std::nullopt;
    if (x || y) {
      auto divides = [](double big, double small) {
        if (small == 0) return false;
        double quotient = big / small;
        return std::isfinite(quotient) && std::fabs(quotient - std::round(quotient)) < 1e-9;
      };
      if (!x) {
        ctx.add("multipleOf", dt::multiple_of_added);
      } else if (!y) {
        ctx.add("multipleOf", dt::multiple_of_removed);
      } else if (*x == *y) {
      } else if (divides(*y, *x)) {
        ctx.add("multipleOf", dt::multiple_of_expanded);
      } else if (divides(*x, *y)) {
        ctx.add("multipleOf", dt::multiple_of_reduced);
      } else {
        ctx.add("multipleOf", dt::multiple_of_changed);
      }
    }
    if (original_shape.requires_integer != update_shape.requires_integer) {
      ctx.add(original_shape.requires_integer ? dt::type_extended : dt::type_narrowed);
    }
  }

  // Every element of `small` is in `big` (by JSON equality).
  static bool contains_all(const bj::array& big, const bj::array& small) {
    for (const auto& x : small) {
      bool found = false;
      for (const auto& y : big) found = found || json_equal(x, y);
      if (!found) return false;
    }
    return true;
  }

  static void compare_enums(context& ctx, const bj::object& original, const bj::object& update) {
    const auto* a = original.if_contains("enum");
    const auto* b = update.if_contains("enum");
    if (!a->is_array() || !b->is_array()) return;
    const auto& x = a->get_array();
    const auto& y = b->get_array();
    if (contains_all(x, y) && contains_all(y, x)) return;
    if (contains_all(y, x)) {
      ctx.add("enum", dt::enum_array_extended);
    } else if (contains_all(x, y)) {
      ctx.add("enum", dt::enum_array_narrowed);
    } else {
      ctx.add("enum", dt::enum_array_changed);
    }
  }

  static bool singleton(const shape& s) { return s.subschemas.size() == 1; }

  // Distinct subschemas, as Confluent collapses equal ones.
  static std::vector<view> distinct(const std::vector<view>& views) {
    std::vector<view> out;
    std::set<std::pair<std::string, part>> seen;
    for (const auto& v : views) {
      if (seen.emplace(serialize(*v.source, true), v.what).second) out.push_back(v);
    }
    return out;
  }

  void compare_combined(context& ctx, const shape& original, const shape& update) {
    if (original.criterion != update.criterion) {
      bool extended = update.criterion == "anyOf" || (singleton(original) && singleton(update)) ||
                      (singleton(original) && update.criterion == "oneOf") ||
                      (singleton(update) && original.criterion == "allOf");
      ctx.add(extended ? dt::combined_type_extended : dt::combined_type_changed);
      if (!extended) return;
    }
    auto originals = distinct(original.subschemas);
    auto updates = distinct(update.subschemas);
    if (originals.size() < updates.size()) {
      ctx.add(update.criterion == "allOf" ? dt::product_type_extended : dt::sum_type_extended);
    } else if (originals.size() > updates.size()) {
      ctx.add(original.criterion == "allOf" ? dt::product_type_narrowed : dt::sum_type_narrowed);
    }
    // edges[i][j]: the differences when update j reads original i, for compatible pairs.
    std::vector<std::vector<std::optional<std::vector<difference>>>> edges(
        originals.size(), std::vector<std::optional<std::vector<difference>>>(updates.size()));
    for (std::size_t i = 0; i < originals.size(); ++i) {
      scope in(ctx, original.criterion + "/" + std::to_string(i));
      for (std::size_t j = 0; j < updates.size(); ++j) {
        context sub = ctx.sub();
        compare(sub, originals[i], updates[j]);
        if (sub.compatible()) edges[i][j] = std::move(sub.diffs);
      }
    }
    // Maximum bipartite matching (augmenting paths): every subschema of the smaller side
    // must find its own compatible partner.
    std::vector<int> match_of_update(updates.size(), -1);
    std::function<bool(std::size_t, std::vector<bool>&)> augment = [&](std::size_t i,
                                                                       std::vector<bool>& visited) {
      for (std::size_t j = 0; j < updates.size(); ++j) {
        if (!edges[i][j] || visited[j]) continue;
        visited[j] = true;
        if (match_of_update[j] < 0 ||
            augment(static_cast<std::size_t>(match_of_update[j]), visited)) {
          match_of_update[j] = static_cast<int>(i);
          return true;
        }
      }
      return false;
    };
    std::size_t matched = 0;
    for (std::size_t i = 0; i < originals.size(); ++i) {
      std::vector<bool> visited(updates.size(), false);
      if (augment(i, visited)) ++matched;
    }
    for (std::size_t j = 0; j < updates.size(); ++j) {
      if (match_of_update[j] >= 0)
        ctx.add_all(*edges[static_cast<std::size_t>(match_of_update[j])][j]);
    }
    if (matched < std::min(originals.size(), updates.size())) {
      ctx.add(dt::combined_type_subschemas_changed);
    }
  }

  // ---- objects ----

  static const bj::object* member_object(const bj::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_object() ? &v->get_object() : nullptr;
  }

  static bool is_required(const bj::object& o, std::string_view name) {
    const auto* required = o.if_contains("required");
    if (!required || !required->is_array()) return false;
    for (const auto& n : required->get_array()) {
      if (n.is_string() && n.get_string() == name) return true;
    }
    return false;
  }

  static bool has_default(const bj::value& property) {
    return property.is_object() && property.get_object().contains("default");
  }

  // The keyword's schema unless it is absent (null) or the boolean true.
  static const bj::value* schema_of(const bj::object& o, std::string_view keyword) {
    const auto* v = o.if_contains(keyword);
    if (!v || (v->is_bool() && v->get_bool())) return nullptr;
    if (v->is_bool()) return nullptr;  // false: "permits" answers it
    return v;
  }
  static bool permits(const bj::object& o, std::string_view keyword) {
    const auto* v = o.if_contains(keyword);
    return !(v && v->is_bool() && !v->get_bool());
  }

  bool is_empty_schema(const bj::value& v) const {
    auto k = read({&v, part::whole}).k;
    return is_empty_kind(k);
  }
  bool is_false_schema(const bj::value& v) const {
    return read({&v, part::whole}).k == kind::false_;
  }

  bool open_content_model(const bj::object& o) const {
    if (!permits(o, "additionalProperties") || schema_of(o, "additionalProperties")) return false;
    if (const auto* patterns = member_object(o, "patternProperties");
        patterns && !patterns->empty()) {
      return false;
    }
    const auto* uneval = o.if_contains("unevaluatedProperties");
    return !uneval || is_empty_schema(*uneval);
  }

  const bj::value* partially_open_schema(const schema& owner, const bj::object& o,
                                         std::string_view property) const {
    if (const auto* patterns = member_object(o, "patternProperties")) {
      for (const auto& entry : *patterns) {
        const std::wregex* regex = owner.compiled(entry.key());
        if (regex && pattern_matches(*regex, property)) {
          return &entry.value();
        }
      }
    }
    if (const auto* additional = schema_of(o, "additionalProperties")) return additional;
    if (permits(o, "additionalProperties") && !o.contains("additionalProperties")) {
      const auto* uneval = o.if_contains("unevaluatedProperties");
      if (uneval && !is_false_schema(*uneval) && !is_empty_schema(*uneval)) return uneval;
    }
    return nullptr;
  }

  void compare_objects(context& ctx, const bj::object& original, const bj::object& update) {
    static const bj::object no_members;
    const bj::object* original_properties = member_object(original, "properties");
    const bj::object* update_properties = member_object(update, "properties");
    if (!original_properties) original_properties = &no_members;
    if (!update_properties) update_properties = &no_members;

    {
      scope in(ctx, "required");
      for (const auto& property : *original_properties) {
        const auto* updated = update_properties->if_contains(property.key());
        if (!updated) continue;
        scope name(ctx, property.key());
        bool was = is_required(original, property.key());
        bool is = is_required(update, property.key());
        if (was && !is) {
          ctx.add(dt::required_attribute_removed);
        } else if (!was && is) {
          ctx.add(has_default(*updated) ? dt::required_attribute_with_default_added
                                        : dt::required_attribute_added);
        }
      }
    }
    {
      scope in(ctx, "properties");
      std::set<std::string> names;
      for (const auto& p : *original_properties) names.emplace(p.key());
      for (const auto& p : *update_properties) names.emplace(p.key());
      for (const auto& name : names) {
        scope at(ctx, name);
        const auto* was = original_properties->if_contains(name);
        const auto* is = update_properties->if_contains(name);
        if (!is) {
          property_removed(ctx, *was, update, name);
        } else if (!was) {
          property_added(ctx, original, update, *is, name);
        } else {
          compare(ctx, {was, part::whole}, {is, part::whole});
        }
      }
    }
    compare_dependencies(ctx, original, update);
    {
      scope in(ctx, "additionalProperties");
      bool was = permits(original, "additionalProperties");
      bool is = permits(update, "additionalProperties");
      const auto* was_schema = schema_of(original, "additionalProperties");
      const auto* is_schema = schema_of(update, "additionalProperties");
      if (was != is) {
        ctx.add(is ? dt::additional_properties_added : dt::additional_properties_removed);
      } else if (!was_schema && is_schema) {
        ctx.add(dt::additional_properties_narrowed);
      } else if (was_schema && !is_schema) {
        ctx.add(dt::additional_properties_extended);
      } else if (was_schema && is_schema) {
        compare(ctx, {was_schema, part::whole}, {is_schema, part::whole});
      }
    }
    compare_unevaluated(ctx, original.if_contains("unevaluatedProperties"),
                        update.if_contains("unevaluatedProperties"), "unevaluatedProperties",
                        dt::unevaluated_properties_added, dt::unevaluated_properties_removed,
                        dt::unevaluated_properties_extended, dt::unevaluated_properties_narrowed);
    compare_limit(ctx, original, update, "maxProperties", dt::max_properties_added,
                  dt::max_properties_removed, dt::max_properties_increased,
                  dt::max_properties_decreased);
    compare_limit(ctx, original, update, "minProperties", dt::min_properties_added,
                  dt::min_properties_removed, dt::min_properties_increased,
                  dt::min_properties_decreased);
  }

  // Only the update's content model matters: a property may go when the update still
  // accepts it.
  void property_removed(context& ctx, const bj::value& was, const bj::object& update,
                        const std::string& name) {
    if (open_content_model(update)) return ctx.add(dt::property_removed_from_open_content_model);
    if (const auto* partial = partially_open_schema(update_, update, name)) {
      context sub = ctx.sub();
      compare(sub, {&was, part::whole}, {partial, part::whole});
      ctx.add_all(sub.diffs);
      return ctx.add(sub.compatible()
                         ? dt::property_removed_is_covered_by_partially_open_content_model
                         : dt::property_removed_not_covered_by_partially_open_content_model);
    }
    ctx.add(is_false_schema(was) ? dt::property_with_false_removed_from_closed_content_model
                                 : dt::property_removed_from_closed_content_model);
  }

  // Only the original's content model matters: old data may already hold the new name.
  void property_added(context& ctx, const bj::object& original, const bj::object& update,
                      const bj::value& is, const std::string& name) {
    if (open_content_model(original)) {
      if (is_empty_schema(is)) {
        ctx.add(dt::property_with_empty_schema_added_to_open_content_model);
      } else if (is_required(update, name)) {
        ctx.add(has_default(is) ? dt::required_property_with_default_added_to_open_content_model
                                : dt::required_property_added_to_open_content_model);
      } else {
        ctx.add(dt::optional_property_added_to_open_content_model);
      }
      return;
    }
    if (const auto* partial = partially_open_schema(original_, original, name)) {
      context sub = ctx.sub();
      compare(sub, {partial, part::whole}, {&is, part::whole});
      ctx.add_all(sub.diffs);
      ctx.add(sub.compatible() ? dt::property_added_is_covered_by_partially_open_content_model
                               : dt::property_added_not_covered_by_partially_open_content_model);
    }
    if (is_required(update, name)) {
      ctx.add(has_default(is) ? dt::required_property_with_default_added_to_unopen_content_model
                              : dt::required_property_added_to_unopen_content_model);
    } else {
      ctx.add(dt::optional_property_added_to_unopen_content_model);
    }
  }

  // "dependencies" (both forms) and its 2019-09 halves, read together.
  static void collect_dependencies(const bj::object& o,
                                   std::map<std::string, const bj::array*>& arrays,
                                   std::map<std::string, const bj::value*>& schemas) {
    for (auto keyword : {"dependencies", "dependentRequired", "dependentSchemas"}) {
      const auto* map = member_object(o, keyword);
      if (!map) continue;
      for (const auto& entry : *map) {
        if (entry.value().is_array()) {
          arrays[std::string(entry.key())] = &entry.value().get_array();
        } else {
          schemas[std::string(entry.key())] = &entry.value();
        }
      }
    }
  }

  void compare_dependencies(context& ctx, const bj::object& original, const bj::object& update) {
    scope in(ctx, "dependencies");
    std::map<std::string, const bj::array*> original_arrays, update_arrays;
    std::map<std::string, const bj::value*> original_schemas, update_schemas;
    collect_dependencies(original, original_arrays, original_schemas);
    collect_dependencies(update, update_arrays, update_schemas);
    std::set<std::string> names;
    for (const auto& e : original_arrays) names.insert(e.first);
    for (const auto& e : update_arrays) names.insert(e.first);
    for (const auto& name : names) {
      scope at(ctx, name);
      auto was = original_arrays.find(name);
      auto is = update_arrays.find(name);
      if (is == update_arrays.end()) {
        ctx.add(dt::dependency_array_removed);
      } else if (was == original_arrays.end()) {
        ctx.add(dt::dependency_array_added);
      } else {
        bool grew = contains_all(*is->second, *was->second);
        bool shrank = contains_all(*was->second, *is->second);
        if (grew && shrank) continue;
        ctx.add(grew     ? dt::dependency_array_extended
                : shrank ? dt::dependency_array_narrowed
                         : dt::dependency_array_changed);
      }
    }
    names.clear();
    for (const auto& e : original_schemas) names.insert(e.first);
    for (const auto& e : update_schemas) names.insert(e.first);
    for (const auto& name : names) {
      scope at(ctx, name);
      auto was = original_schemas.find(name);
      auto is = update_schemas.find(name);
      if (is == update_schemas.end()) {
        ctx.add(dt::dependency_schema_removed);
      } else if (was == original_schemas.end()) {
        ctx.add(dt::dependency_schema_added);
      } else {
        compare(ctx, {was->second, part::whole}, {is->second, part::whole});
      }
    }
  }

  void compare_unevaluated(context& ctx, const bj::value* was, const bj::value* is,
                           std::string_view keyword, dt added, dt removed, dt extended,
                           dt narrowed) {
    if (!was && !is) return;
    scope in(ctx, std::string(keyword));
    if (!was) return ctx.add(is_false_schema(*is) ? removed : narrowed);
    if (!is) return ctx.add(is_false_schema(*was) ? added : extended);
    bool was_false = is_false_schema(*was);
    bool is_false = is_false_schema(*is);
    if (was_false && !is_false) return ctx.add(added);
    if (!was_false && is_false) return ctx.add(removed);
    bool was_empty = is_empty_schema(*was);
    bool is_empty = is_empty_schema(*is);
    if (was_empty && !is_empty) return ctx.add(narrowed);
    if (!was_empty && is_empty) return ctx.add(extended);
    compare(ctx, {was, part::whole}, {is, part::whole});
  }

  // ---- arrays ----

  // The tuple part of an array schema ("items": [...] or 2020-12 "prefixItems") and the
  // keyword that holds the rest ("additionalItems", or "items" beside "prefixItems").
  struct array_parts {
    const bj::array* tuple = nullptr;
    const bj::value* all_items = nullptr;
    const char* rest_keyword = "additionalItems";
  };

  static array_parts parts_of_array(const bj::object& o) {
    array_parts p;
    const auto* items = o.if_contains("items");
    if (const auto* prefix = o.if_contains("prefixItems"); prefix && prefix->is_array()) {
      p.tuple = &prefix->get_array();
      p.rest_keyword = "items";
    } else if (items && items->is_array()) {
      p.tuple = &items->get_array();
    } else if (items) {
      p.all_items = items;
    }
    return p;
  }

  bool open_array_model(const bj::object& o, const char* rest) const {
    if (!permits(o, rest) || schema_of(o, rest)) return false;
    const auto* uneval = o.if_contains("unevaluatedItems");
    return !uneval || is_empty_schema(*uneval);
  }

  const bj::value* partially_open_items(const bj::object& o, const char* rest) const {
    if (const auto* s = schema_of(o, rest)) return s;
    if (permits(o, rest) && !o.contains(rest)) {
      const auto* uneval = o.if_contains("unevaluatedItems");
      if (uneval && !is_false_schema(*uneval) && !is_empty_schema(*uneval)) return uneval;
    }
    return nullptr;
  }

  void compare_arrays(context& ctx, const bj::object& original, const bj::object& update) {
    auto was = parts_of_array(original);
    auto is = parts_of_array(update);
    {
      scope in(ctx, "items");
      if (was.all_items || is.all_items) {
        compare(ctx, {was.all_items, part::whole}, {is.all_items, part::whole});
      }
    }
    static const bj::array no_items;
    const bj::array& was_tuple = was.tuple ? *was.tuple : no_items;
    const bj::array& is_tuple = is.tuple ? *is.tuple : no_items;
    std::size_t common = std::min(was_tuple.size(), is_tuple.size());
    for (std::size_t i = 0; i < common; ++i) {
      scope in(ctx, "items/" + std::to_string(i));
      compare(ctx, {&was_tuple[i], part::whole}, {&is_tuple[i], part::whole});
    }
    for (std::size_t i = common; i < was_tuple.size(); ++i) {
      scope in(ctx, "items/" + std::to_string(i));
      if (open_array_model(update, is.rest_keyword)) {
        ctx.add(dt::item_removed_from_open_content_model);
      } else if (const auto* partial = partially_open_items(update, is.rest_keyword)) {
        context sub = ctx.sub();
        compare(sub, {&was_tuple[i], part::whole}, {partial, part::whole});
        ctx.add_all(sub.diffs);
        ctx.add(sub.compatible() ? dt::item_removed_is_covered_by_partially_open_content_model
                                 : dt::item_removed_not_covered_by_partially_open_content_model);
      } else {
        ctx.add(is_false_schema(was_tuple[i])
                    ? dt::item_with_false_removed_from_closed_content_model
                    : dt::item_removed_from_closed_content_model);
      }
    }
    for (std::size_t i = common; i < is_tuple.size(); ++i) {
      scope in(ctx, "items/" + std::to_string(i));
      if (open_array_model(original, was.rest_keyword)) {
        ctx.add(is_empty_schema(is_tuple[i])
                    ? dt::item_with_empty_schema_added_to_open_content_model
                    : dt::item_added_to_open_content_model);
      } else if (const auto* partial = partially_open_items(original, was.rest_keyword)) {
        context sub = ctx.sub();
        compare(sub, {partial, part::whole}, {&is_tuple[i], part::whole});
        ctx.add_all(sub.diffs);
        ctx.add(sub.compatible() ? dt::item_added_is_covered_by_partially_open_content_model
                                 : dt::item_added_not_covered_by_partially_open_content_model);
      } else {
        ctx.add(dt::item_added_to_closed_content_model);
      }
    }
    {
      scope in(ctx, "additionalItems");
      bool was_permits = permits(original, was.rest_keyword);
      bool is_permits = permits(update, is.rest_keyword);
      const auto* was_schema = schema_of(original, was.rest_keyword);
      const auto* is_schema = schema_of(update, is.rest_keyword);
      if (was_permits != is_permits) {
        ctx.add(was_permits ? dt::additional_items_removed : dt::additional_items_added);
      } else if (!was_schema && is_schema) {
        ctx.add(dt::additional_items_narrowed);
      } else if (was_schema && !is_schema) {
        ctx.add(dt::additional_items_extended);
      } else if (was_schema && is_schema) {
        compare(ctx, {was_schema, part::whole}, {is_schema, part::whole});
      }
    }
    compare_unevaluated(ctx, original.if_contains("unevaluatedItems"),
                        update.if_contains("unevaluatedItems"), "unevaluatedItems",
                        dt::unevaluated_items_added, dt::unevaluated_items_removed,
                        dt::unevaluated_items_extended, dt::unevaluated_items_narrowed);
    compare_limit(ctx, original, update, "maxItems", dt::max_items_added, dt::max_items_removed,
                  dt::max_items_increased, dt::max_items_decreased);
    compare_limit(ctx, original, update, "minItems", dt::min_items_added, dt::min_items_removed,
                  dt::min_items_increased, dt::min_items_decreased);
    auto unique = [](const bj::object& o) {
      const auto* v = o.if_contains("uniqueItems");
      return v && v->is_bool() && v->get_bool();
    };
    if (unique(original) != unique(update)) {
      ctx.add("uniqueItems", unique(original) ? dt::unique_items_removed : dt::unique_items_added);
    }
    compare_limit(ctx, original, update, "maxContains", dt::max_contains_added,
                  dt::max_contains_removed, dt::max_contains_increased, dt::max_contains_decreased);
    compare_limit(ctx, original, update, "minContains", dt::min_contains_added,
                  dt::min_contains_removed, dt::min_contains_increased, dt::min_contains_decreased);
  }

  const schema& original_;
  const schema& update_;
  compatibility_policy policy_;
  std::map<std::tuple<const bj::value*, part, const bj::value*, part>, std::vector<difference>>
      memo_;
  std::set<std::tuple<const bj::value*, part, const bj::value*, part>> in_progress_;
  std::size_t steps_ = 0;
};

// Which of Confluent's message templates a difference uses.
enum class message_kind {
  keyword_added_or_removed,
  value_increased,
  value_decreased,
  value_changed,
  type_narrowed,
  type_extended,
  type_changed,
  other,
};

message_kind kind_of_message(dt type) {
  switch (type) {
    case dt::maximum_added:
    case dt::minimum_added:
    case dt::exclusive_maximum_added:
    case dt::exclusive_minimum_added:
    case dt::multiple_of_added:
    case dt::max_length_added:
    case dt::min_length_added:
    case dt::pattern_added:
    case dt::required_attribute_added:
    case dt::max_properties_added:
    case dt::min_properties_added:
    case dt::dependency_array_added:
    case dt::dependency_schema_added:
    case dt::max_items_added:
    case dt::min_items_added:
    case dt::max_contains_added:
    case dt::min_contains_added:
    case dt::unique_items_added:
    case dt::additional_items_removed:
    case dt::additional_properties_removed:
    case dt::unevaluated_properties_removed:
    case dt::unevaluated_items_removed: return message_kind::keyword_added_or_removed;
    case dt::min_length_increased:
    case dt::minimum_increased:
    case dt::exclusive_minimum_increased:
    case dt::min_properties_increased:
    case dt::multiple_of_expanded:
    case dt::min_items_increased:
    case dt::min_contains_increased: return message_kind::value_increased;
    case dt::max_length_decreased:
    case dt::maximum_decreased:
    case dt::max_items_decreased:
    case dt::max_contains_decreased:
    case dt::exclusive_maximum_decreased:
    case dt::max_properties_decreased: return message_kind::value_decreased;
    case dt::pattern_changed:
    case dt::multiple_of_changed:
    case dt::dependency_array_changed: return message_kind::value_changed;
    case dt::additional_items_narrowed:
    case dt::enum_array_narrowed:
    case dt::sum_type_narrowed:
    case dt::additional_properties_narrowed:
    case dt::unevaluated_properties_narrowed:
    case dt::unevaluated_items_narrowed: return message_kind::type_narrowed;
    case dt::dependency_array_extended:
    case dt::product_type_extended:
    case dt::sum_type_extended:
    case dt::not_type_extended: return message_kind::type_extended;
    case dt::type_changed:
    case dt::type_narrowed:
    case dt::combined_type_changed:
    case dt::combined_type_subschemas_changed:
    case dt::enum_array_changed: return message_kind::type_changed;
    default: return message_kind::other;
  }
}

}  // namespace

std::vector<difference> check(const schema& original, const schema& update,
                              compatibility_policy policy) {
  return comparer(original, update, policy).run();
}

bool incompatible(difference_type type, compatibility_policy policy) {
  const auto& compatible = policy == compatibility_policy::strict ? strict_compatible_changes()
                                                                  : lenient_compatible_changes();
  return compatible.count(type) == 0;
}

bool incompatible(const difference& d, compatibility_policy policy) {
  return incompatible(d.type, policy);
}

std::string describe(const difference& d, std::string_view reader, std::string_view writer) {
  const std::string& path = d.path;
  std::string text;
  switch (kind_of_message(d.type)) {
    case message_kind::keyword_added_or_removed:
      text =
          fmt::format("The keyword at path '{}' in the {} schema is not present in the {} schema",
                      path, reader, writer);
      break;
    case message_kind::value_increased:
      text = fmt::format(
          "The value at path '{}' in the {} schema is more than its value in the "
          "{} schema",
          path, reader, writer);
      break;
    case message_kind::value_decreased:
      text = fmt::format(
          "The value at path '{}' in the {} schema is less than its value in the "
          "{} schema",
          path, reader, writer);
      break;
    case message_kind::value_changed:
      text = fmt::format("The value at path '{}' is different between the {} and {} schema", path,
                         reader, writer);
      break;
    case message_kind::type_narrowed:
      text = fmt::format(
          "An array or combined type at path '{}' has fewer elements in the {} "
          "schema than the {} schema",
          path, reader, writer);
      break;
    case message_kind::type_extended:
      text = fmt::format(
          "An array or combined type at path '{}' has more elements in the {} "
          "schema than the {} schema",
          path, reader, writer);
      break;
    case message_kind::type_changed:
      text = fmt::format(
          "A type at path '{}' is different between the {} schema and the {} "
          "schema",
          path, reader, writer);
      break;
    case message_kind::other:
      switch (d.type) {
        case dt::required_property_added_to_open_content_model:
        case dt::required_property_with_default_added_to_open_content_model:
        case dt::optional_property_added_to_open_content_model:
        case dt::item_added_to_open_content_model:
          text = fmt::format(
              "The {} schema has an open content model and has a property or "
              "item at path '{}' which is missing in the {} schema",
              reader, path, writer);
          break;
        case dt::required_property_added_to_unopen_content_model:
          text = fmt::format(
              "The {} schema has an unopen content model and has a required "
              "property at path '{}' which is missing in the {} schema",
              reader, path, writer);
          break;
        case dt::property_removed_from_closed_content_model:
        case dt::item_removed_from_closed_content_model:
          text = fmt::format(
              "The {} has a closed content model and is missing a property or "
              "item present at path '{}' in the {} schema",
              reader, path, writer);
          break;
        case dt::property_removed_not_covered_by_partially_open_content_model:
        case dt::item_removed_not_covered_by_partially_open_content_model:
          text = fmt::format(
              "A property or item is missing in the {} schema but present at "
              "path '{}' in the {} schema and is not covered by its partially "
              "open content model",
              reader, path, writer);
          break;
        case dt::property_added_not_covered_by_partially_open_content_model:
        case dt::item_added_not_covered_by_partially_open_content_model:
          text = fmt::format(
              "The {} schema has a property or item at path '{}' which is "
              "missing in the {} schema and is not covered by its partially "
              "open content model",
              reader, path, writer);
          break;
        default: break;
      }
  }
  return fmt::format("{{errorType:\"{}\", description:\"{}'}}", to_string(d.type), text);
}

std::vector<std::string> incompatibility_messages(const schema& original, const schema& update,
                                                  std::string_view reader_label,
                                                  std::string_view writer_label,
                                                  compatibility_policy policy) {
  std::vector<std::string> messages;
  for (const auto& d : check(original, update, policy)) {
    if (incompatible(d, policy)) messages.push_back(describe(d, reader_label, writer_label));
  }
  return messages;
}

}  // namespace wharf::schema::json
