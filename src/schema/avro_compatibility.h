// Whether a reader schema can decode data written with a writer schema, by Avro's
// schema resolution rules, reporting every incompatibility the way Apache Avro's Java
// SchemaCompatibility does (type, location, message), which is what Confluent Schema
// Registry's compatibility answers quote.
#pragma once

#include <string>
#include <vector>

#include "schema/avro_schema.h"

namespace wharf::schema::avro {

enum class incompatibility_type {
  name_mismatch,
  fixed_size_mismatch,
  missing_enum_symbols,
  reader_field_missing_default_value,
  type_mismatch,
  missing_union_branch,
};

// "NAME_MISMATCH", "READER_FIELD_MISSING_DEFAULT_VALUE", ...
std::string_view to_string(incompatibility_type type);

struct incompatibility {
  incompatibility_type type;
  std::string location;  // JSON pointer into the reader schema: "/fields/1/type"
  std::string message;   // "expected: com.acme.Order", "reader type: INT not compatible ..."
};

struct compatibility_result {
  std::vector<incompatibility> incompatibilities;
  bool compatible() const { return incompatibilities.empty(); }
};

compatibility_result check_reader_writer(const node& reader, const node& writer);
inline compatibility_result check_reader_writer(const schema& reader, const schema& writer) {
  return check_reader_writer(reader.root(), writer.root());
}

}  // namespace wharf::schema::avro
