// Parsing, building and printing of Protobuf schemas with libprotobuf: the .proto parser
// and its tokenizer for text, FileDescriptorProto for base64 descriptors, one
// DescriptorPool per schema holding the schema, its references and the built-in imports.
#include "schema/protobuf/protobuf_schema.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include "base/base64.h"
#include "base/logging.h"
#include "schema/protobuf/protobuf_builtins.h"
#include "schema/protobuf/protobuf_printer.h"

namespace wharf::schema::protobuf {

namespace gp = google::protobuf;

namespace {

// The google/protobuf/*.proto files compiled into libprotobuf itself.
constexpr std::string_view google_well_known_files[] = {
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
};

std::string location_prefix(int line, int column) {
  // The tokenizer counts from zero; editors count from one.
  return fmt::format("{}:{}: ", line + 1, column + 1);
}

// Collects the .proto tokenizer's and parser's errors as "line:column: message".
class text_error_collector : public gp::io::ErrorCollector {
 public:
  void AddError(int line, gp::io::ColumnNumber column, const std::string& message) override {
    if (!errors_.empty()) errors_ += "; ";
    errors_ += location_prefix(line, column) + message;
  }
  const std::string& errors() const { return errors_; }

 private:
  std::string errors_;
};

// Collects DescriptorPool build errors (unknown types, duplicate names...), located in
// the source text when the file came from text.
class pool_error_collector : public gp::DescriptorPool::ErrorCollector {
 public:
  explicit pool_error_collector(const gp::compiler::SourceLocationTable* locations)
      : locations_(locations) {}

  void AddError(const std::string& /*filename*/, const std::string& element_name,
                const gp::Message* descriptor, ErrorLocation location,
                const std::string& message) override {
    if (!errors_.empty()) errors_ += "; ";
    int line = 0;
    int column = 0;
    if (locations_ && locations_->Find(descriptor, location, &line, &column)) {
      errors_ += location_prefix(line, column);
    } else if (!element_name.empty()) {
      errors_ += element_name + ": ";
    }
    errors_ += message;
  }
  const std::string& errors() const { return errors_; }

 private:
  const gp::compiler::SourceLocationTable* locations_;
  std::string errors_;
};

// One file before it is built: its descriptor and, for text, where each element was.
struct source_file {
  gp::FileDescriptorProto proto;
  std::unique_ptr<gp::compiler::SourceLocationTable> locations;
};

// protoc's json_name for a field: underscores dropped, the letter after each capitalized.
std::string default_json_name(const std::string& field_name) {
  std::string out;
  bool capitalize = false;
  for (char c : field_name) {
    if (c == '_') {
      capitalize = true;
    } else {
      out += capitalize && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
      capitalize = false;
    }
  }
  return out;
}

// protoc writes every field's json_name into descriptors; dropping the ones it derived
// keeps them out of the printed text, which then matches the same schema sent as text.
void drop_derived_json_names(gp::DescriptorProto& message) {
  for (auto* fields : {message.mutable_field(), message.mutable_extension()}) {
    for (auto& field : *fields) {
      if (field.has_json_name() && field.json_name() == default_json_name(field.name())) {
        field.clear_json_name();
      }
    }
  }
  for (auto& nested : *message.mutable_nested_type()) drop_derived_json_names(nested);
}

void drop_derived_json_names(gp::FileDescriptorProto& file) {
  for (auto& message : *file.mutable_message_type()) drop_derived_json_names(message);
  for (auto& field : *file.mutable_extension()) {
    if (field.has_json_name() && field.json_name() == default_json_name(field.name())) {
      field.clear_json_name();
    }
  }
}

bool looks_like_base64(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
  });
}

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// libprotoc's parser recurses once per nested block with no limit of its own, so text
// nested deep enough would exhaust the stack. The pool refuses messages nested deeper
// than 32 anyway; blocks nested deeper than this are refused before parsing.
constexpr int max_block_depth = 100;

status check_block_depth(std::string_view text) {
  int depth = 0;
  int line = 0;
  int column = 0;
  char quote = 0;  // inside a string literal opened by this character
  bool line_comment = false;
  bool block_comment = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\n') {
      ++line;
      column = 0;
      line_comment = false;
      continue;
    }
    ++column;
    if (line_comment) continue;
    if (block_comment) {
      if (c == '*' && next == '/') block_comment = false, ++i, ++column;
      continue;
    }
    if (quote) {
      if (c == '\\') {
        ++i, ++column;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '/' && next == '/') {
      line_comment = true;
    } else if (c == '/' && next == '*') {
      block_comment = true;
      ++i, ++column;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{') {
      if (++depth > max_block_depth) {
        return make_error(errc::parse_error, "{}blocks nested deeper than {}",
                          location_prefix(line, column - 1), max_block_depth);
      }
    } else if (c == '}') {
      --depth;
    }
  }
  return {};
}

result<std::unique_ptr<source_file>> parse_proto_text(std::string_view text) {
  WHARF_RETURN_IF_ERROR(check_block_depth(text));
  auto file = std::make_unique<source_file>();
  file->locations = std::make_unique<gp::compiler::SourceLocationTable>();
  gp::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  text_error_collector errors;
  gp::io::Tokenizer tokenizer(&input, &errors);
  gp::compiler::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.RecordSourceLocationsTo(file->locations.get());
  bool parsed = parser.Parse(&tokenizer, &file->proto);
  if (!parsed || !errors.errors().empty()) {
    return make_error(errc::parse_error, "{}",
                      errors.errors().empty() ? "invalid .proto text" : errors.errors());
  }
  return file;
}

// Text or base64 descriptor, as Confluent's provider accepts either.
result<std::unique_ptr<source_file>> parse_source(std::string_view text) {
  auto trimmed = trim(text);
  if (trimmed.empty()) return make_error(errc::parse_error, "empty schema");
  if (looks_like_base64(trimmed)) {
    auto bytes = base64::decode(trimmed);
    if (bytes) {
      auto file = std::make_unique<source_file>();
      // A descriptor with fields this library does not know is no descriptor at all: base64
      // of random bytes would otherwise pass as an empty file.
      if (file->proto.ParseFromString(*bytes) &&
          file->proto.GetReflection()->GetUnknownFields(file->proto).empty()) {
        drop_derived_json_names(file->proto);
        return file;
      }
    }
    // A bare identifier is also valid base64; let the .proto parser explain what is wrong.
  }
  if (text.size() > static_cast<std::size_t>(INT32_MAX)) {
    return make_error(errc::parse_error, "schema too large");
  }
  return parse_proto_text(text);
}

// The built-in files, each parsed or copied once per process.
const std::map<std::string, gp::FileDescriptorProto, std::less<>>& builtin_files() {
  static const auto* files = [] {
    auto* map = new std::map<std::string, gp::FileDescriptorProto, std::less<>>();
    for (auto name : google_well_known_files) {
      const auto* file = gp::DescriptorPool::generated_pool()->FindFileByName(std::string(name));
      WHARF_ASSERT(file != nullptr);
      file->CopyTo(&(*map)[std::string(name)]);
    }
    for (auto [name, text] : builtin_proto_texts()) {
      auto parsed = parse_proto_text(text);
      WHARF_ASSERT(parsed.ok());
      (*parsed)->proto.set_name(std::string(name));
      (*map)[std::string(name)] = std::move((*parsed)->proto);
    }
    return map;
  }();
  return *files;
}

// Builds files into one pool, dependencies first.
class pool_builder {
 public:
  explicit pool_builder(gp::DescriptorPool& pool) : pool_(pool) {}

  void add_source(std::unique_ptr<source_file> file) {
    auto name = file->proto.name();
    sources_[name] = std::move(file);
  }
  bool has_source(const std::string& name) const { return sources_.contains(name); }

  result<const gp::FileDescriptor*> build(const std::string& name) {
    if (const auto* built = pool_.FindFileByName(name)) return built;
    if (!building_.insert(name).second) {
      return make_error(errc::parse_error, "import cycle through \"{}\"", name);
    }
    const gp::FileDescriptorProto* proto = nullptr;
    const gp::compiler::SourceLocationTable* locations = nullptr;
    if (auto it = sources_.find(name); it != sources_.end()) {
      proto = &it->second->proto;
      locations = it->second->locations.get();
    } else if (auto builtin = builtin_files().find(name); builtin != builtin_files().end()) {
      proto = &builtin->second;
    } else {
      return make_error(errc::parse_error,
                        "import \"{}\" is neither a schema reference nor a built-in type", name);
    }
    for (const auto& dependency : proto->dependency()) {
      auto built = build(dependency);
      if (!built.ok()) {
        // Only the innermost failure is worth naming its importer.
        if (built.err().message().starts_with("import \"")) return built.err();
        return built.err().with_context(fmt::format("in import \"{}\"", dependency));
      }
    }
    pool_error_collector errors(locations);
    const auto* file = pool_.BuildFileCollectingErrors(*proto, &errors);
    building_.erase(name);
    if (!file) {
      return make_error(errc::parse_error, "{}",
                        errors.errors().empty() ? "invalid schema" : errors.errors());
    }
    return file;
  }

 private:
  gp::DescriptorPool& pool_;
  std::map<std::string, std::unique_ptr<source_file>> sources_;
  std::set<std::string> building_;
};

// Every file `file` depends on, dependencies before dependants.
void collect_dependencies(const gp::FileDescriptor* file, std::set<std::string>& seen,
                          std::vector<gp::FileDescriptorProto>& out) {
  for (int i = 0; i < file->dependency_count(); ++i) {
    const auto* dependency = file->dependency(i);
    if (!seen.insert(dependency->name()).second) continue;
    collect_dependencies(dependency, seen, out);
    dependency->CopyTo(&out.emplace_back());
  }
}

// --- normalization -------------------------------------------------------------------

bool is_synthetic_oneof(const gp::DescriptorProto& message, int oneof_index) {
  int members = 0;
  bool proto3_optional = false;
  for (const auto& field : message.field()) {
    if (field.has_oneof_index() && field.oneof_index() == oneof_index) {
      ++members;
      proto3_optional = field.proto3_optional();
    }
  }
  return members == 1 && proto3_optional;
}

void normalize_enum(gp::EnumDescriptorProto& enumeration) {
  std::stable_sort(enumeration.mutable_value()->begin(), enumeration.mutable_value()->end(),
                   [](const auto& a, const auto& b) {
                     return std::pair(a.number(), a.name()) < std::pair(b.number(), b.name());
                   });
  std::sort(enumeration.mutable_reserved_range()->begin(),
            enumeration.mutable_reserved_range()->end(),
            [](const auto& a, const auto& b) { return a.start() < b.start(); });
  std::sort(enumeration.mutable_reserved_name()->begin(),
            enumeration.mutable_reserved_name()->end());
}

void normalize_message(gp::DescriptorProto& message) {
  // Fields sorted by number, except that a oneof's members stay together (the pool wants
  // them consecutive), placed where its lowest-numbered member would be.
  const int oneof_count = message.oneof_decl_size();
  std::vector<int> oneof_first_number(oneof_count, INT32_MAX);
  for (const auto& field : message.field()) {
    if (field.has_oneof_index() && field.oneof_index() >= 0 && field.oneof_index() < oneof_count) {
      auto& first = oneof_first_number[field.oneof_index()];
      first = std::min(first, field.number());
    }
  }
  auto group_number = [&](const gp::FieldDescriptorProto& field) {
    return field.has_oneof_index() ? oneof_first_number[field.oneof_index()] : field.number();
  };
  std::stable_sort(message.mutable_field()->begin(), message.mutable_field()->end(),
                   [&](const auto& a, const auto& b) {
                     return std::pair(group_number(a), a.number()) <
                            std::pair(group_number(b), b.number());
                   });
  // Oneofs by their first member, synthetic ones (proto3 `optional`) last as the pool
  // requires.
  std::vector<int> order(oneof_count);
  for (int i = 0; i < oneof_count; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return std::pair(is_synthetic_oneof(message, a), oneof_first_number[a]) <
           std::pair(is_synthetic_oneof(message, b), oneof_first_number[b]);
  });
  if (oneof_count > 0) {
    std::vector<int> new_index(oneof_count);
    google::protobuf::RepeatedPtrField<gp::OneofDescriptorProto> oneofs;
    for (int i = 0; i < oneof_count; ++i) {
      new_index[order[i]] = i;
      *oneofs.Add() = message.oneof_decl(order[i]);
    }
    message.mutable_oneof_decl()->Swap(&oneofs);
    for (auto& field : *message.mutable_field()) {
      if (field.has_oneof_index()) field.set_oneof_index(new_index[field.oneof_index()]);
    }
  }
  std::sort(message.mutable_reserved_range()->begin(), message.mutable_reserved_range()->end(),
            [](const auto& a, const auto& b) { return a.start() < b.start(); });
  std::sort(message.mutable_reserved_name()->begin(), message.mutable_reserved_name()->end());
  std::sort(message.mutable_extension_range()->begin(), message.mutable_extension_range()->end(),
            [](const auto& a, const auto& b) { return a.start() < b.start(); });
  for (auto& nested : *message.mutable_nested_type()) normalize_message(nested);
  for (auto& enumeration : *message.mutable_enum_type()) normalize_enum(enumeration);
}

void normalize_file(gp::FileDescriptorProto& file) {
  // Imports sorted and deduplicated; public/weak markers follow their import.
  std::set<std::string> public_imports;
  std::set<std::string> weak_imports;
  for (int index : file.public_dependency()) public_imports.insert(file.dependency(index));
  for (int index : file.weak_dependency()) weak_imports.insert(file.dependency(index));
  std::set<std::string> imports(file.dependency().begin(), file.dependency().end());
  file.clear_dependency();
  file.clear_public_dependency();
  file.clear_weak_dependency();
  for (const auto& name : imports) {
    if (public_imports.contains(name)) file.add_public_dependency(file.dependency_size());
    if (weak_imports.contains(name)) file.add_weak_dependency(file.dependency_size());
    file.add_dependency(name);
  }
  for (auto& message : *file.mutable_message_type()) normalize_message(message);
  for (auto& enumeration : *file.mutable_enum_type()) normalize_enum(enumeration);
}

void append_message_names(const gp::Descriptor* message, std::vector<std::string>& out) {
  if (message->options().map_entry()) return;
  out.push_back(message->full_name());
  for (int i = 0; i < message->nested_type_count(); ++i) {
    append_message_names(message->nested_type(i), out);
  }
}

void write_zigzag_varint(std::string& out, int value) {
  auto zigzag = (static_cast<std::uint32_t>(value) << 1) ^ static_cast<std::uint32_t>(value >> 31);
  while (zigzag >= 0x80) {
    out.push_back(static_cast<char>((zigzag & 0x7f) | 0x80));
    zigzag >>= 7;
  }
  out.push_back(static_cast<char>(zigzag));
}

std::string serialized_descriptor(const gp::FileDescriptor* file) {
  gp::FileDescriptorProto proto;
  file->CopyTo(&proto);
  std::string bytes;
  gp::io::StringOutputStream stream(&bytes);
  gp::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  proto.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

// The registry stores and serves the printed text, so a schema whose text would mean
// something else is refused now rather than changed silently later. (Option strings with
// invalid UTF-8 in proto3 messages, for one, cannot be printed.)
status check_printable(const gp::FileDescriptor* file) {
  auto text = print_proto_text(file);
  auto reparsed = parse_proto_text(text);
  const gp::FileDescriptor* again = nullptr;
  gp::DescriptorPool pool;
  if (reparsed.ok()) {
    std::set<std::string> seen;
    std::vector<gp::FileDescriptorProto> dependencies;
    collect_dependencies(file, seen, dependencies);
    for (const auto& dependency : dependencies) pool.BuildFile(dependency);
    (*reparsed)->proto.set_name(file->name());
    pool_error_collector ignored(nullptr);
    again = pool.BuildFileCollectingErrors((*reparsed)->proto, &ignored);
  }
  if (!again || serialized_descriptor(again) != serialized_descriptor(file)) {
    return make_error(errc::parse_error,
                      "the schema cannot be written as equivalent .proto text (are all option "
                      "strings valid UTF-8?)");
  }
  return {};
}

// libprotobuf reports some problems with input it is given (invalid UTF-8 in strings, for
// instance) on stderr; they go to our log instead, the input itself being refused anyway.
void route_protobuf_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    gp::SetLogHandler(
        [](gp::LogLevel level, const char* filename, int line, const std::string& message) {
          auto logger = logging::get("protobuf");
          if (level >= gp::LOGLEVEL_FATAL) {
            logger->error("{}:{}: {}", filename, line, message);
          } else {
            logger->debug("{}:{}: {}", filename, line, message);
          }
        });
  });
}

}  // namespace

bool is_builtin_import(std::string_view import_path) {
  return import_path.starts_with("google/protobuf/") || import_path.starts_with("google/type/") ||
         import_path.starts_with("confluent/");
}

struct schema::state {
  gp::DescriptorPool pool;
  const gp::FileDescriptor* file = nullptr;
  // Prototypes for JSON conversion; GetPrototype is thread-safe.
  mutable gp::DynamicMessageFactory factory{&pool};

  result<const gp::Descriptor*> find_message(std::string_view full_name) const {
    if (full_name.starts_with('.')) full_name.remove_prefix(1);
    const auto* message = pool.FindMessageTypeByName(std::string(full_name));
    if (!message) {
      return make_error(errc::not_found, "message \"{}\" is not defined in the schema", full_name);
    }
    return message;
  }
};

schema::schema(std::unique_ptr<state> state) : state_(std::move(state)) {}
schema::~schema() = default;

result<schema_ptr> schema::parse(std::string_view text, const std::vector<reference>& references) {
  route_protobuf_logs();
  auto built = std::make_unique<state>();
  pool_builder builder(built->pool);
  for (const auto& ref : references) {
    auto source = parse_source(ref.schema);
    if (!source.ok()) {
      return source.err().with_context(fmt::format("reference \"{}\"", ref.name));
    }
    (*source)->proto.set_name(ref.name);
    builder.add_source(std::move(*source));
  }
  WHARF_ASSIGN_OR_RETURN(auto main, parse_source(text));
  // Text has no name; a descriptor's own name is kept unless a reference took it.
  if (main->proto.name().empty() || builder.has_source(main->proto.name()) ||
      builtin_files().contains(main->proto.name())) {
    main->proto.set_name("schema.proto");
    while (builder.has_source(main->proto.name())) main->proto.set_name("_" + main->proto.name());
  }
  auto main_name = main->proto.name();
  builder.add_source(std::move(main));
  WHARF_ASSIGN_OR_RETURN(built->file, builder.build(main_name));
  WHARF_RETURN_IF_ERROR(check_printable(built->file));
  return schema_ptr(new schema(std::move(built)));
}

std::string schema::to_proto_text() const { return print_proto_text(state_->file); }

std::string schema::to_serialized_base64() const {
  return base64::encode(serialized_descriptor(state_->file));
}

std::string schema::normalized_text() const {
  gp::FileDescriptorProto proto;
  state_->file->CopyTo(&proto);
  normalize_file(proto);
  // Build the reordered copy in a pool of its own, since its names clash with the original.
  gp::DescriptorPool pool;
  std::set<std::string> seen;
  std::vector<gp::FileDescriptorProto> dependencies;
  collect_dependencies(state_->file, seen, dependencies);
  for (const auto& dependency : dependencies) pool.BuildFile(dependency);
  const auto* normalized = pool.BuildFile(proto);
  // Reordering never makes a valid file invalid; if it somehow did, the plain text is the
  // next best canonical form.
  return normalized ? print_proto_text(normalized) : to_proto_text();
}

const std::string& schema::package() const { return state_->file->package(); }

std::vector<std::string> schema::imports() const {
  std::vector<std::string> out;
  for (int i = 0; i < state_->file->dependency_count(); ++i) {
    out.push_back(state_->file->dependency(i)->name());
  }
  return out;
}

std::vector<std::string> schema::message_names() const {
  std::vector<std::string> out;
  for (int i = 0; i < state_->file->message_type_count(); ++i) {
    append_message_names(state_->file->message_type(i), out);
  }
  return out;
}

result<std::string> schema::first_message_name() const {
  if (state_->file->message_type_count() == 0) {
    return make_error(errc::not_found, "the schema defines no message");
  }
  return state_->file->message_type(0)->full_name();
}

result<std::vector<int>> schema::message_indexes(std::string_view full_name) const {
  WHARF_ASSIGN_OR_RETURN(const auto* message, state_->find_message(full_name));
  if (message->file() != state_->file) {
    return make_error(errc::not_found, "message \"{}\" is defined in \"{}\", not in the schema",
                      message->full_name(), message->file()->name());
  }
  std::vector<int> path;
  for (const auto* m = message; m; m = m->containing_type()) path.push_back(m->index());
  std::reverse(path.begin(), path.end());
  return path;
}

result<std::string> schema::message_name_at(const std::vector<int>& indexes) const {
  if (indexes.empty()) return make_error(errc::invalid_argument, "empty message index path");
  const gp::Descriptor* message = nullptr;
  for (std::size_t depth = 0; depth < indexes.size(); ++depth) {
    int index = indexes[depth];
    int count = message ? message->nested_type_count() : state_->file->message_type_count();
    if (index < 0 || index >= count) {
      return make_error(errc::not_found, "no message at index {} of level {} (there are {})", index,
                        depth, count);
    }
    message = message ? message->nested_type(index) : state_->file->message_type(index);
  }
  return message->full_name();
}

result<std::string> schema::json_to_binary(std::string_view message_full_name,
                                           std::string_view json) const {
  WHARF_ASSIGN_OR_RETURN(const auto* type, state_->find_message(message_full_name));
  std::unique_ptr<gp::Message> message(state_->factory.GetPrototype(type)->New());
  gp::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = gp::util::JsonStringToMessage(gp::StringPiece(json.data(), json.size()),
                                              message.get(), options);
  if (!status.ok()) {
    return make_error(errc::invalid_argument, "JSON is not a valid {}: {}", type->full_name(),
                      std::string(status.message()));
  }
  if (!message->IsInitialized()) {
    return make_error(errc::invalid_argument, "{} is missing required fields: {}",
                      type->full_name(), message->InitializationErrorString());
  }
  std::string bytes;
  {
    gp::io::StringOutputStream stream(&bytes);
    gp::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message->SerializePartialToCodedStream(&coded);  // required fields were checked above
  }
  return bytes;
}

result<std::string> schema::binary_to_json(std::string_view message_full_name,
                                           std::string_view bytes,
                                           const json_print_options& options) const {
  WHARF_ASSIGN_OR_RETURN(const auto* type, state_->find_message(message_full_name));
  std::unique_ptr<gp::Message> message(state_->factory.GetPrototype(type)->New());
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX) ||
      !message->ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(errc::parse_error, "bytes are not a valid {}", type->full_name());
  }
  gp::util::JsonPrintOptions print;
  print.preserve_proto_field_names = options.preserve_proto_field_names;
  print.always_print_primitive_fields = options.always_print_primitive_fields;
  std::string json;
  auto status = gp::util::MessageToJsonString(*message, &json, print);
  if (!status.ok()) {
    return make_error(errc::parse_error, "{} cannot be printed as JSON: {}", type->full_name(),
                      std::string(status.message()));
  }
  return json;
}

const gp::FileDescriptor* schema::descriptor() const { return state_->file; }

std::string encode_message_indexes(const std::vector<int>& indexes) {
  std::string out;
  if (indexes.size() == 1 && indexes[0] == 0) {
    out.push_back('\0');
    return out;
  }
  write_zigzag_varint(out, static_cast<int>(indexes.size()));
  for (int index : indexes) write_zigzag_varint(out, index);
  return out;
}

result<decoded_message_indexes> decode_message_indexes(std::string_view bytes) {
  decoded_message_indexes decoded;
  auto read = [&](int& value) {
    std::uint32_t raw = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (decoded.size >= bytes.size()) return false;
      auto byte = static_cast<std::uint8_t>(bytes[decoded.size++]);
      raw |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        value = static_cast<int>((raw >> 1) ^ (~(raw & 1) + 1));
        return true;
      }
    }
    return false;
  };
  int count = 0;
  if (!read(count)) return make_error(errc::parse_error, "truncated message index count");
  if (count == 0) {
    decoded.indexes = {0};
    return decoded;
  }
  // Every index takes at least one byte, which bounds what a hostile count can allocate.
  if (count < 0 || static_cast<std::size_t>(count) > bytes.size() - decoded.size) {
    return make_error(errc::parse_error, "invalid message index count {}", count);
  }
  decoded.indexes.resize(count);
  for (auto& index : decoded.indexes) {
    if (!read(index)) return make_error(errc::parse_error, "truncated message index");
    if (index < 0) return make_error(errc::parse_error, "negative message index {}", index);
  }
  return decoded;
}

}  // namespace wharf::schema::protobuf
