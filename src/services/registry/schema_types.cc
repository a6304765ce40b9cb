#include "services/registry/schema_types.h"

#include <fmt/format.h>

#include "schema/avro_compatibility.h"
#include "schema/avro_schema.h"
#include "schema/json_compatibility.h"
#include "schema/json_schema.h"
#include "schema/protobuf/protobuf_compatibility.h"
#include "schema/protobuf/protobuf_schema.h"

namespace wharf::registry {

namespace avro = schema::avro;

namespace {

// Confluent's descriptions of Avro incompatibilities; reader/writer become new/old.
std::string describe(const avro::incompatibility& i, bool reader_is_new) {
  std::string reader = reader_is_new ? "new" : "old";
  std::string writer = reader_is_new ? "old" : "new";
  std::string description;
  switch (i.type) {
    case avro::incompatibility_type::name_mismatch:
      description = fmt::format("The name of the schema has changed (path '{}')", i.location);
      break;
    case avro::incompatibility_type::fixed_size_mismatch:
      description = fmt::format(
          "The size of FIXED type field at path '{}' in the {} schema does "
          "not match with the {} schema",
          i.location, reader, writer);
      break;
    case avro::incompatibility_type::missing_enum_symbols:
      description = fmt::format(
          "The {} schema is missing enum symbols '{}' at path '{}' in the "
          "{} schema",
          reader, i.message, i.location, writer);
      break;
    case avro::incompatibility_type::reader_field_missing_default_value:
      description = fmt::format(
          "The field '{}' at path '{}' in the {} schema has no default "
          "value and is missing in the {} schema",
          i.message, i.location, reader, writer);
      break;
    case avro::incompatibility_type::type_mismatch:
      description = fmt::format(
          "The type (path '{}') of a field in the {} schema does not match "
          "with the {} schema",
          i.location, reader, writer);
      break;
    case avro::incompatibility_type::missing_union_branch:
      description = fmt::format(
          "The {} schema is missing a type inside a union field at path "
          "'{}' in the {} schema",
          reader, i.location, writer);
      break;
  }
  return fmt::format("{{errorType:'{}', description:'{}', additionalInfo:'{}'}}",
                     avro::to_string(i.type), description, i.message);
}

class avro_parsed final : public parsed_schema {
 public:
  explicit avro_parsed(avro::schema_ptr schema) : schema_(std::move(schema)) {}
  const avro::schema_ptr& schema() const { return schema_; }

  schema_type type() const override { return schema_type::avro; }
  std::string normalized() const override { return schema_->normalized_form(); }
  std::vector<std::string> cannot_read(const parsed_schema& writer,
                                       bool reader_is_new) const override {
    const auto& old = static_cast<const avro_parsed&>(writer);
    std::vector<std::string> out;
    for (const auto& i : avro::check_reader_writer(*schema_, *old.schema_).incompatibilities) {
      out.push_back(describe(i, reader_is_new));
    }
    return out;
  }

 private:
  avro::schema_ptr schema_;
};

result<parsed_ptr> parse_avro(std::string_view text,
                              const std::vector<resolved_reference>& references) {
  std::vector<avro::schema_ptr> resolved;
  for (const auto& ref : references) {
    const auto* avro_ref = dynamic_cast<const avro_parsed*>(ref.parsed.get());
    if (!avro_ref) {
      return make_error(errc::invalid_argument, "reference {} is not an Avro schema", ref.name);
    }
    resolved.push_back(avro_ref->schema());
  }
  WHARF_ASSIGN_OR_RETURN(auto parsed, avro::schema::parse(text, resolved));
  return parsed_ptr(std::make_shared<avro_parsed>(std::move(parsed)));
}

class protobuf_parsed final : public parsed_schema {
 public:
  protobuf_parsed(schema::protobuf::schema_ptr schema,
                  std::vector<schema::protobuf::reference> imports)
      : schema_(std::move(schema)), imports_(std::move(imports)) {}
  const schema::protobuf::schema_ptr& schema() const { return schema_; }
  // Every file this one imports, transitively, as references (what a schema that imports
  // this one needs as well).
  const std::vector<schema::protobuf::reference>& imports() const { return imports_; }

  schema_type type() const override { return schema_type::protobuf; }
  std::string stored_text(std::string_view) const override { return schema_->to_proto_text(); }
  std::string normalized() const override { return schema_->normalized_text(); }
  std::optional<std::string> formatted(std::string_view format) const override {
    if (format == "serialized") return schema_->to_serialized_base64();
    return std::nullopt;
  }
  // Confluent's BACKWARD is new.isBackwardCompatible(old), the differences from old to
  // new; FORWARD swaps them: either way, from the writer's schema to the reader's.
  std::vector<std::string> cannot_read(const parsed_schema& writer,
                                       bool reader_is_new) const override {
    const auto& old = static_cast<const protobuf_parsed&>(writer);
    std::vector<std::string> out;
    for (const auto& d : schema::protobuf::incompatibilities(*old.schema_, *schema_)) {
      out.push_back(schema::protobuf::to_confluent_message(d, reader_is_new ? "new" : "old",
                                                           reader_is_new ? "old" : "new"));
    }
    return out;
  }

 private:
  schema::protobuf::schema_ptr schema_;
  std::vector<schema::protobuf::reference> imports_;
};

result<parsed_ptr> parse_protobuf(std::string_view text,
                                  const std::vector<resolved_reference>& references) {
  std::vector<schema::protobuf::reference> imports;
  auto add = [&imports](const schema::protobuf::reference& r) {
    for (const auto& have : imports) {
      if (have.name == r.name) return;
    }
    imports.push_back(r);
  };
  for (const auto& ref : references) {
    const auto* proto_ref = dynamic_cast<const protobuf_parsed*>(ref.parsed.get());
    if (!proto_ref) {
      return make_error(errc::invalid_argument, "reference {} is not a Protobuf schema", ref.name);
    }
    for (const auto& nested : proto_ref->imports()) add(nested);
    add({ref.name, ref.text});
  }
  WHARF_ASSIGN_OR_RETURN(auto parsed, schema::protobuf::schema::parse(text, imports));
  return parsed_ptr(std::make_shared<protobuf_parsed>(std::move(parsed), std::move(imports)));
}

class json_parsed final : public parsed_schema {
 public:
  json_parsed(schema::json::schema_ptr schema, std::vector<schema::json::reference> references)
      : schema_(std::move(schema)), references_(std::move(references)) {}
  // Every document this one refers to, transitively (what a schema referring to this one
  // needs as well).
  const std::vector<schema::json::reference>& references() const { return references_; }

  schema_type type() const override { return schema_type::json; }
  std::string normalized() const override { return schema_->normalized_string(); }
  std::vector<std::string> cannot_read(const parsed_schema& writer,
                                       bool reader_is_new) const override {
    const auto& old = static_cast<const json_parsed&>(writer);
    return schema::json::incompatibility_messages(
        *old.schema_, *schema_, reader_is_new ? "new" : "old", reader_is_new ? "old" : "new");
  }

 private:
  schema::json::schema_ptr schema_;
  std::vector<schema::json::reference> references_;
};

result<parsed_ptr> parse_json_schema(std::string_view text,
                                     const std::vector<resolved_reference>& references) {
  std::vector<schema::json::reference> all;
  auto add = [&all](const schema::json::reference& r) {
    for (const auto& have : all) {
      if (have.name == r.name) return;
    }
    all.push_back(r);
  };
  for (const auto& ref : references) {
    const auto* json_ref = dynamic_cast<const json_parsed*>(ref.parsed.get());
    if (!json_ref) {
      return make_error(errc::invalid_argument, "reference {} is not a JSON Schema", ref.name);
    }
    for (const auto& nested : json_ref->references()) add(nested);
    add({ref.name, ref.text});
  }
  WHARF_ASSIGN_OR_RETURN(auto parsed, schema::json::schema::parse(text, all));
  return parsed_ptr(std::make_shared<json_parsed>(std::move(parsed), std::move(all)));
}

}  // namespace

result<parsed_ptr> parse_schema(schema_type type, std::string_view text,
                                const std::vector<resolved_reference>& references) {
  switch (type) {
    case schema_type::avro: return parse_avro(text, references);
    case schema_type::protobuf: return parse_protobuf(text, references);
    case schema_type::json: return parse_json_schema(text, references);
  }
  return make_error(errc::unsupported, "schema type {} is not supported", to_string(type));
}

std::vector<schema_type> supported_schema_types() {
  return {schema_type::json, schema_type::protobuf, schema_type::avro};
}

}  // namespace wharf::registry
