// The schema types the registry serves, behind one interface: parsing with references
// resolved, the text normalize=true stores, and compatibility in Confluent's words. The
// registry's routes know no type's details.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "services/registry/schema_store.h"

namespace wharf::registry {

class parsed_schema {
 public:
  virtual ~parsed_schema() = default;
  virtual schema_type type() const = 0;
  // The text a registration stores: what the client sent for Avro and JSON Schema, the
  // .proto text for Protobuf (clients may send a base64 descriptor), as Confluent does.
  virtual std::string stored_text(std::string_view sent) const { return std::string(sent); }
  // The text registration stores when asked to normalize.
  virtual std::string normalized() const = 0;
  // The schema in another format (GET ...?format=serialized for Protobuf's base64
  // descriptor); nullopt when the type has no such format.
  virtual std::optional<std::string> formatted(std::string_view /*format*/) const {
    return std::nullopt;
  }
  // Why this schema cannot read data written with writer (of the same type), as the
  // messages Confluent's registry gives; empty when it can. reader_is_new picks the words
  // ("new"/"old") of the messages that name the two sides.
  virtual std::vector<std::string> cannot_read(const parsed_schema& writer,
                                               bool reader_is_new) const = 0;
};
using parsed_ptr = std::shared_ptr<const parsed_schema>;

// A reference with the schema it names, already parsed.
struct resolved_reference {
  std::string name;  // how the schema refers to it: a file name, a URL, a type name
  std::string text;
  parsed_ptr parsed;
};

// Parses text as a schema of type; the error's message says what is wrong (42201).
result<parsed_ptr> parse_schema(schema_type type, std::string_view text,
                                const std::vector<resolved_reference>& references);

// The types parse_schema accepts, as GET /schemas/types lists them.
std::vector<schema_type> supported_schema_types();

}  // namespace wharf::registry
