// Apache Avro schemas: parsing and validation of the JSON form (as Avro's Java
// Schema.Parser does, defaults included), named types across references, Parsing
// Canonical Form and its CRC-64-AVRO fingerprint.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "base/result.h"

namespace wharf::schema::avro {

enum class type {
  null,
  boolean,
  int_,
  long_,
  float_,
  double_,
  bytes,
  string,
  record,
  enumeration,
  array,
  map,
  union_,
  fixed,
};

// "null", "int", "record", ... as in the JSON form.
std::string_view type_name(type t);
// "NULL", "INT", "RECORD", ... as Java's Schema.Type prints in compatibility messages.
std::string_view type_constant(type t);
bool is_named(type t);

struct node;

struct field {
  std::string name;
  const node* schema = nullptr;
  std::optional<boost::json::value> default_value;
  std::vector<std::string> aliases;
  std::string order = "ascending";
  std::string doc;
  std::map<std::string, boost::json::value> props;  // attributes Avro gives no meaning
};

// One schema node. Named types (record, enum, fixed) appear once and are referred to by
// pointer wherever their name is used, so recursive types are plain cycles.
struct node {
  avro::type type = type::null;
  // Named types: "com.acme.Order", "Order", "com.acme"; aliases as full names.
  std::string full_name;
  std::string name;
  std::string space;
  std::vector<std::string> aliases;
  std::string doc;
  std::vector<field> fields;                        // record
  std::vector<std::string> symbols;                 // enum
  std::optional<std::string> enum_default;          // enum
  std::uint64_t size = 0;                           // fixed
  const node* items = nullptr;                      // array
  const node* values = nullptr;                     // map
  std::vector<const node*> branches;                // union
  std::string logical_type;                         // "decimal", "timestamp-millis", ... if valid
  int precision = 0;                                // decimal
  int scale = 0;                                    // decimal
  std::map<std::string, boost::json::value> props;  // attributes Avro gives no meaning
};

class schema;
using schema_ptr = std::shared_ptr<const schema>;

class schema {
 public:
  // Parses an Avro schema in its JSON form. references are schemas whose named types
  // this one may use by name (Confluent's schema references), searched in order.
  static result<schema_ptr> parse(std::string_view text,
                                  const std::vector<schema_ptr>& references = {});

  const node& root() const { return *root_; }
  // A named type defined here or in a reference, by full name.
  const node* find_named(const std::string& full_name) const;

  // Avro's Parsing Canonical Form: what two schemas must share to read each other's
  // data identically (names in full, no docs, defaults or logical types).
  std::string canonical_form() const;
  // CRC-64-AVRO (Rabin) of the canonical form, as SchemaNormalization.parsingFingerprint64.
  std::uint64_t fingerprint64() const;
  // The form Confluent's registry stores for normalize=true: everything a schema says
  // (docs, defaults, aliases, logical types and other attributes kept) in one fixed
  // layout: full names, each attribute in a fixed place, aliases and other attributes
  // sorted, no whitespace, and types from references named rather than written out.
  std::string normalized_form() const;

  schema(const schema&) = delete;
  schema& operator=(const schema&) = delete;

 private:
  schema() = default;
  friend class parser;

  std::vector<std::unique_ptr<node>> nodes_;
  std::map<std::string, const node*> named_;
  std::vector<schema_ptr> references_;
  const node* root_ = nullptr;
};

// CRC-64-AVRO of arbitrary bytes.
std::uint64_t rabin_fingerprint64(std::string_view bytes);

}  // namespace wharf::schema::avro
