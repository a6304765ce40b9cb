#include "schema/avro_schema.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wharf::schema::avro {

namespace bj = boost::json;

std::string_view type_name(type t) {
  switch (t) {
    case type::null: return "null";
    case type::boolean: return "boolean";
    case type::int_: return "int";
    case type::long_: return "long";
    case type::float_: return "float";
    case type::double_: return "double";
    case type::bytes: return "bytes";
    case type::string: return "string";
    case type::record: return "record";
    case type::enumeration: return "enum";
    case type::array: return "array";
    case type::map: return "map";
    case type::union_: return "union";
    case type::fixed: return "fixed";
  }
  return "?";
}

std::string_view type_constant(type t) {
  switch (t) {
    case type::null: return "NULL";
    case type::boolean: return "BOOLEAN";
    case type::int_: return "INT";
    case type::long_: return "LONG";
    case type::float_: return "FLOAT";
    case type::double_: return "DOUBLE";
    case type::bytes: return "BYTES";
    case type::string: return "STRING";
    case type::record: return "RECORD";
    case type::enumeration: return "ENUM";
    case type::array: return "ARRAY";
    case type::map: return "MAP";
    case type::union_: return "UNION";
    case type::fixed: return "FIXED";
  }
  return "?";
}

bool is_named(type t) { return t == type::record || t == type::enumeration || t == type::fixed; }

const node* schema::find_named(const std::string& full_name) const {
  if (auto it = named_.find(full_name); it != named_.end()) return it->second;
  for (const auto& ref : references_) {
    if (const auto* found = ref->find_named(full_name)) return found;
  }
  return nullptr;
}

namespace {

std::optional<type> primitive(std::string_view name) {
  static const std::pair<std::string_view, type> table[] = {
      {"null", type::null},   {"boolean", type::boolean}, {"int", type::int_},
      {"long", type::long_},  {"float", type::float_},    {"double", type::double_},
      {"bytes", type::bytes}, {"string", type::string},
  };
  for (const auto& [n, t] : table) {
    if (n == name) return t;
  }
  return std::nullopt;
}

// Avro names: [A-Za-z_][A-Za-z0-9_]*.
bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  auto first = static_cast<unsigned char>(name[0]);
  if (!(std::isalpha(first) || first == '_')) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

bool valid_namespace(std::string_view space) {
  if (space.empty()) return true;
  std::size_t start = 0;
  while (true) {
    auto dot = space.find('.', start);
    auto part = space.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!valid_name(part)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string compact(const bj::value& v) { return bj::serialize(v); }

bool fits_int32(const bj::value& v) {
  if (v.is_int64()) return v.get_int64() >= INT32_MIN && v.get_int64() <= INT32_MAX;
  if (v.is_uint64()) return v.get_uint64() <= INT32_MAX;
  return false;
}

}  // namespace

// Builds one schema's nodes. Errors are Avro's SchemaParseException messages.
class parser {
 public:
  parser(schema& out) : out_(out) {}

  result<const node*> parse(const bj::value& json, const std::string& space) {
    if (json.is_string()) return resolve(std::string(json.get_string()), space);
    if (json.is_array()) return parse_union(json.get_array(), space);
    if (!json.is_object())
      return fail("Schema must be a string, object or array: {}", compact(json));
    const auto& obj = json.get_object();
    const auto* type_field = obj.if_contains("type");
    if (!type_field) return fail("No type: {}", compact(json));
    if (!type_field->is_string()) {
      // {"type": {...}} and {"type": [...]}: the inner schema.
      return parse(*type_field, space);
    }
    std::string type_text(type_field->get_string());
    if (auto prim = primitive(type_text)) {
      auto* n = make(*prim);
      annotate_logical(*n, obj);
      keep_props(n->props, obj, schema_attributes);
      return n;
    }
    if (type_text == "record" || type_text == "error") return parse_record(obj, space);
    if (type_text == "enum") return parse_enum(obj, space);
    if (type_text == "fixed") return parse_fixed(obj, space);
    if (type_text == "array") {
      const auto* items = obj.if_contains("items");
      if (!items) return fail("Array has no items type: {}", compact(json));
      auto* n = make(type::array);
      WHARF_ASSIGN_OR_RETURN(n->items, parse(*items, space));
      keep_props(n->props, obj, schema_attributes);
      return n;
    }
    if (type_text == "map") {
      const auto* values = obj.if_contains("values");
      if (!values) return fail("Map has no values type: {}", compact(json));
      auto* n = make(type::map);
      WHARF_ASSIGN_OR_RETURN(n->values, parse(*values, space));
      keep_props(n->props, obj, schema_attributes);
      return n;
    }
    // {"type": "com.acme.Thing"}: a reference to a named type.
    return resolve(type_text, space);
  }

 private:
  // Attributes the specification defines; every other one is kept as a property.
  static constexpr std::array<std::string_view, 14> schema_attributes = {
      "type", "name", "namespace", "fields",      "items",     "values", "symbols",
      "size", "doc",  "aliases",   "logicalType", "precision", "scale",  "default"};
  static constexpr std::array<std::string_view, 6> field_attributes = {
      "name", "type", "default", "order", "aliases", "doc"};

  template <std::size_t N>
  static void keep_props(std::map<std::string, bj::value>& props, const bj::object& obj,
                         const std::array<std::string_view, N>& reserved) {
    for (const auto& [key, value] : obj) {
      if (std::find(reserved.begin(), reserved.end(), key) == reserved.end()) {
        props.emplace(std::string(key), value);
      }
    }
  }

  template <typename... Args>
  static error fail(fmt::format_string<Args...> format, Args&&... args) {
    return error(errc::parse_error, fmt::format(format, std::forward<Args>(args)...));
  }

  node* make(type t) {
    out_.nodes_.push_back(std::make_unique<node>());
    auto* n = out_.nodes_.back().get();
    n->type = t;
    return n;
  }

  result<const node*> resolve(const std::string& name, const std::string& space) {
    if (auto prim = primitive(name)) return static_cast<const node*>(make(*prim));
    // Unqualified names are looked up in the enclosing namespace first, then the null one.
    if (name.find('.') == std::string::npos && !space.empty()) {
      if (const auto* found = out_.find_named(space + "." + name)) return found;
    }
    if (const auto* found = out_.find_named(name)) return found;
    return fail(
        "\"{}\" is not a defined name. The type of the \"{}\" field must be a defined "
        "name or a {{\"type\": ...}} expression.",
        name, current_field_);
  }

  // Sets name, namespace, full name and aliases of a named type, and registers it.
  result<bool> name_it(node& n, const bj::object& obj, const std::string& space,
                       std::string& own_space) {
    const auto* name_field = obj.if_contains("name");
    if (!name_field || !name_field->is_string()) {
      return fail("No name in schema: {}", compact(bj::value(obj)));
    }
    std::string name(name_field->get_string());
    std::string ns = space;
    if (const auto* ns_field = obj.if_contains("namespace"); ns_field && !ns_field->is_null()) {
      if (!ns_field->is_string()) return fail("Namespace must be a string: {}", compact(*ns_field));
      ns = std::string(ns_field->get_string());
    }
    if (auto dot = name.rfind('.'); dot != std::string::npos) {
      ns = name.substr(0, dot);
      name = name.substr(dot + 1);
    }
    if (!valid_name(name)) return fail("Illegal character in: {}", name);
    if (!valid_namespace(ns)) return fail("Illegal namespace: {}", ns);
    n.name = name;
    n.space = ns;
    n.full_name = ns.empty() ? name : ns + "." + name;
    if (primitive(n.full_name)) return fail("Schemas may not be named after primitives: {}", name);
    if (out_.find_named(n.full_name)) return fail("Can't redefine: {}", n.full_name);
    if (const auto* aliases = obj.if_contains("aliases"); aliases && !aliases->is_null()) {
      if (!aliases->is_array()) return fail("aliases not an array: {}", compact(*aliases));
      for (const auto& a : aliases->get_array()) {
        if (!a.is_string()) return fail("alias not a string: {}", compact(a));
        std::string alias(a.get_string());
        if (alias.find('.') == std::string::npos && !ns.empty()) alias = ns + "." + alias;
        n.aliases.push_back(std::move(alias));
      }
    }
    if (const auto* doc = obj.if_contains("doc"); doc && doc->is_string()) {
      n.doc = std::string(doc->get_string());
    }
    out_.named_[n.full_name] = &n;
    own_space = ns;
    keep_props(n.props, obj, schema_attributes);
    return true;
  }

  result<const node*> parse_record(const bj::object& obj, const std::string& space) {
    auto* n = make(type::record);
    std::string own_space;
    WHARF_ASSIGN_OR_RETURN(auto named, name_it(*n, obj, space, own_space));
    (void)named;
    const auto* fields = obj.if_contains("fields");
    if (!fields || !fields->is_array()) {
      return fail("Record has no fields: {}", compact(bj::value(obj)));
    }
    std::set<std::string> seen;
    for (const auto& f : fields->get_array()) {
      if (!f.is_object()) return fail("Field must be an object: {}", compact(f));
      const auto& fo = f.get_object();
      const auto* fname = fo.if_contains("name");
      if (!fname || !fname->is_string()) return fail("No field name: {}", compact(f));
      field out;
      out.name = std::string(fname->get_string());
      if (!valid_name(out.name)) return fail("Illegal character in: {}", out.name);
      if (!seen.insert(out.name).second) {
        return fail("Duplicate field {} in record {}: {}.", out.name, n->full_name, compact(f));
      }
      const auto* ftype = fo.if_contains("type");
      if (!ftype) return fail("No field type: {}", compact(f));
      current_field_ = out.name;
      WHARF_ASSIGN_OR_RETURN(out.schema, parse(*ftype, own_space));
      if (const auto* def = fo.if_contains("default")) {
        if (!valid_default(*out.schema, *def)) {
          return fail("Invalid default for field {}: {} not a {}", out.name, compact(*def),
                      type_name(out.schema->type));
        }
        out.default_value = *def;
      }
      if (const auto* order = fo.if_contains("order"); order && order->is_string()) {
        // Java's parser takes any case ("ASCENDING" in Confluent's normalized schemas).
        out.order = std::string(order->get_string());
        for (auto& c : out.order)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (out.order != "ascending" && out.order != "descending" && out.order != "ignore") {
          return fail("Invalid order: {}", out.order);
        }
      }
      if (const auto* aliases = fo.if_contains("aliases"); aliases && aliases->is_array()) {
        for (const auto& a : aliases->get_array()) {
          if (!a.is_string()) return fail("alias not a string: {}", compact(a));
          out.aliases.emplace_back(a.get_string());
        }
      }
      if (const auto* doc = fo.if_contains("doc"); doc && doc->is_string()) {
        out.doc = std::string(doc->get_string());
      }
      keep_props(out.props, fo, field_attributes);
      n->fields.push_back(std::move(out));
    }
    return static_cast<const node*>(n);
  }

  result<const node*> parse_enum(const bj::object& obj, const std::string& space) {
    auto* n = make(type::enumeration);
    std::string own_space;
    WHARF_ASSIGN_OR_RETURN(auto named, name_it(*n, obj, space, own_space));
    (void)named;
    const auto* symbols = obj.if_contains("symbols");
    if (!symbols || !symbols->is_array()) {
      return fail("Enum has no symbols: {}", compact(bj::value(obj)));
    }
    std::set<std::string> seen;
    for (const auto& s : symbols->get_array()) {
      if (!s.is_string()) return fail("Enum symbol not a string: {}", compact(s));
      std::string symbol(s.get_string());
      if (!valid_name(symbol)) return fail("Illegal character in: {}", symbol);
      if (!seen.insert(symbol).second) return fail("Duplicate enum symbol: {}", symbol);
      n->symbols.push_back(std::move(symbol));
    }
    if (const auto* def = obj.if_contains("default"); def && !def->is_null()) {
      if (!def->is_string() || !seen.count(std::string(def->get_string()))) {
        return fail("The Enum Default: {} is not in the enum symbol set: {}", compact(*def),
                    compact(*symbols));
      }
      n->enum_default = std::string(def->get_string());
    }
    return static_cast<const node*>(n);
  }

  result<const node*> parse_fixed(const bj::object& obj, const std::string& space) {
    auto* n = make(type::fixed);
    std::string own_space;
    WHARF_ASSIGN_OR_RETURN(auto named, name_it(*n, obj, space, own_space));
    (void)named;
    const auto* size = obj.if_contains("size");
    if (!size || !(size->is_int64() || size->is_uint64())) {
      return fail("Invalid or no size: {}", compact(bj::value(obj)));
    }
    if (size->is_int64() && size->get_int64() < 0)
      return fail("Invalid fixed size: {}", compact(*size));
    if (!fits_int32(*size)) return fail("Invalid fixed size: {}", compact(*size));
    n->size = size->is_int64() ? static_cast<std::uint64_t>(size->get_int64()) : size->get_uint64();
    annotate_logical(*n, obj);
    return static_cast<const node*>(n);
  }

  result<const node*> parse_union(const bj::array& branches, const std::string& space) {
    auto* n = make(type::union_);
    std::set<std::string> seen;
    for (const auto& b : branches) {
      WHARF_ASSIGN_OR_RETURN(auto branch, parse(b, space));
      if (branch->type == type::union_)
        return fail("Nested union: {}", compact(bj::value(branches)));
      std::string key =
          is_named(branch->type) ? branch->full_name : std::string(type_name(branch->type));
      if (!seen.insert(key).second) return fail("Duplicate in union:{}", key);
      n->branches.push_back(branch);
    }
    return static_cast<const node*>(n);
  }

  // Keeps a logicalType only when it is valid for its base type (Avro ignores others).
  static void annotate_logical(node& n, const bj::object& obj) {
    const auto* lt = obj.if_contains("logicalType");
    if (!lt || !lt->is_string()) return;
    std::string name(lt->get_string());
    auto integer = [&obj](const char* key) -> std::optional<std::int64_t> {
      const auto* v = obj.if_contains(key);
      if (!v) return std::nullopt;
      if (v->is_int64()) return v->get_int64();
      if (v->is_uint64() && v->get_uint64() <= INT32_MAX)
        return static_cast<std::int64_t>(v->get_uint64());
      return std::nullopt;
    };
    bool ok = false;
    if (name == "decimal" && (n.type == type::bytes || n.type == type::fixed)) {
      auto precision = integer("precision");
      auto scale = integer("scale").value_or(0);
      ok = precision && *precision > 0 && scale >= 0 && scale <= *precision;
      if (ok && n.type == type::fixed) {
        // The most decimal digits n bytes can hold: floor(log10(2^(8n-1) - 1)).
        double digits =
            std::floor(std::log10(std::pow(2.0, 8.0 * static_cast<double>(n.size) - 1) - 1));
        ok = static_cast<double>(*precision) <= digits;
      }
      if (ok) {
        n.precision = static_cast<int>(*precision);
        n.scale = static_cast<int>(scale);
      }
    } else if (name == "uuid") {
      ok = n.type == type::string || (n.type == type::fixed && n.size == 16);
    } else if (name == "date" || name == "time-millis") {
      ok = n.type == type::int_;
    } else if (name == "time-micros" || name == "timestamp-millis" || name == "timestamp-micros" ||
               name == "timestamp-nanos" || name == "local-timestamp-millis" ||
               name == "local-timestamp-micros" || name == "local-timestamp-nanos") {
      ok = n.type == type::long_;
    } else if (name == "duration") {
      ok = n.type == type::fixed && n.size == 12;
    }
    if (ok) n.logical_type = std::move(name);
  }

  // Avro's Schema.isValidDefault.
  static bool valid_default(const node& n, const bj::value& v) {
    switch (n.type) {
      case type::null: return v.is_null();
      case type::boolean: return v.is_bool();
      case type::int_: return fits_int32(v);
      case type::long_: return v.is_int64() || (v.is_uint64() && v.get_uint64() <= INT64_MAX);
      case type::float_:
      case type::double_: return v.is_number();
      case type::bytes:
      case type::string:
      case type::enumeration:
      case type::fixed: return v.is_string();
      case type::array:
        if (!v.is_array()) return false;
        return std::all_of(v.get_array().begin(), v.get_array().end(),
                           [&n](const bj::value& item) { return valid_default(*n.items, item); });
      case type::map:
        if (!v.is_object()) return false;
        return std::all_of(v.get_object().begin(), v.get_object().end(), [&n](const auto& entry) {
          return valid_default(*n.values, entry.value());
        });
      case type::union_: return !n.branches.empty() && valid_default(*n.branches.front(), v);
      case type::record:
        if (!v.is_object()) return false;
        for (const auto& f : n.fields) {
          const auto* given = v.get_object().if_contains(f.name);
          if (given) {
            if (!valid_default(*f.schema, *given)) return false;
          } else if (!f.default_value || !valid_default(*f.schema, *f.default_value)) {
            return false;
          }
        }
        return true;
    }
    return false;
  }

  schema& out_;
  std::string current_field_;
};

result<schema_ptr> schema::parse(std::string_view text, const std::vector<schema_ptr>& references) {
  bj::parse_options options;
  options.max_depth = 256;
  boost::system::error_code ec;
  auto json = bj::parse(bj::string_view(text.data(), text.size()), ec, {}, options);
  if (ec) return make_error(errc::parse_error, "Invalid JSON: {}", ec.message());
  auto out = std::shared_ptr<schema>(new schema());
  out->references_ = references;
  parser p(*out);
  WHARF_ASSIGN_OR_RETURN(out->root_, p.parse(json, ""));
  return schema_ptr(std::move(out));
}

}  // namespace wharf::schema::avro
