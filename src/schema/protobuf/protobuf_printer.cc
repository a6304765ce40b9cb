// .proto text from a FileDescriptor. libprotobuf's DebugString prints a message's nested
// messages before its fields, so map fields and groups, whose entry types the parser
// creates where the field is declared, come back in another nested order and every
// message index after them shifts. This printer keeps libprotobuf's formatting for each
// element (fields, oneofs, enums, services, option lines) and only chooses the order:
// a nested message is printed before the first field that would otherwise create a
// nested type ahead of it.
#include "schema/protobuf/protobuf_printer.h"

#include <set>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

namespace wharf::schema::protobuf {

namespace gp = google::protobuf;

namespace {

// Appends `text` with every line indented by `depth` levels.
void append_indented(std::string& out, std::string_view text, int depth) {
  std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    if (!line.empty()) out += indent;
    out += line;
    out += '\n';
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// The message's own `option ...;` statements as DebugString prints them: first in its
// body, one level in, an aggregate value over several lines up to the one ending in ';'.
std::string message_option_lines(const gp::Descriptor* message) {
  std::string text = message->DebugString();
  std::string out;
  std::string_view rest(text);
  rest.remove_prefix(std::min(rest.size(), rest.find('\n') + 1));  // "message X {"
  while (rest.starts_with("  option ")) {
    bool statement_done = false;
    while (!statement_done && !rest.empty()) {
      auto end = rest.find('\n');
      if (end == std::string_view::npos) end = rest.size();
      auto line = rest.substr(0, end);
      statement_done = line.ends_with(';');
      out += line.substr(std::min<std::size_t>(2, line.size()));
      out += '\n';
      rest.remove_prefix(std::min(rest.size(), end + 1));
    }
  }
  return out;
}

std::string range_text(int start, int end_exclusive) {
  if (end_exclusive - 1 == start) return std::to_string(start);
  if (end_exclusive - 1 == gp::FieldDescriptor::kMaxNumber) {
    return std::to_string(start) + " to max";
  }
  return std::to_string(start) + " to " + std::to_string(end_exclusive - 1);
}

// The nested type a field creates where it is declared: a map entry or a group's type.
const gp::Descriptor* created_type(const gp::FieldDescriptor* field) {
  if (field->is_map() || field->type() == gp::FieldDescriptor::TYPE_GROUP) {
    return field->message_type();
  }
  return nullptr;
}

void print_message(std::string& out, const gp::Descriptor* message, int depth);

void print_message_body(std::string& out, const gp::Descriptor* message, int depth) {
  append_indented(out, message_option_lines(message), depth);

  std::set<const gp::Descriptor*> created;
  for (int i = 0; i < message->field_count(); ++i) {
    if (const auto* type = created_type(message->field(i))) created.insert(type);
  }
  int next_nested = 0;
  // Prints the plain nested messages declared before `until` (all remaining if null).
  auto flush_nested = [&](const gp::Descriptor* until) {
    while (next_nested < message->nested_type_count()) {
      const auto* nested = message->nested_type(next_nested);
      if (nested == until) {
        ++next_nested;
        return;
      }
      if (!created.contains(nested)) print_message(out, nested, depth);
      ++next_nested;
    }
  };

  std::set<const gp::OneofDescriptor*> printed_oneofs;
  for (int i = 0; i < message->field_count(); ++i) {
    const auto* field = message->field(i);
    if (const auto* oneof = field->real_containing_oneof()) {
      if (!printed_oneofs.insert(oneof).second) continue;
      for (int m = 0; m < oneof->field_count(); ++m) {
        if (const auto* type = created_type(oneof->field(m))) flush_nested(type);
      }
      append_indented(out, oneof->DebugString(), depth);
      continue;
    }
    if (const auto* type = created_type(field)) flush_nested(type);
    append_indented(out, field->DebugString(), depth);
  }
  flush_nested(nullptr);

  for (int i = 0; i < message->enum_type_count(); ++i) {
    append_indented(out, message->enum_type(i)->DebugString(), depth);
  }
  for (int i = 0; i < message->extension_count(); ++i) {
    append_indented(out, message->extension(i)->DebugString(), depth);
  }
  for (int i = 0; i < message->extension_range_count(); ++i) {
    const auto* range = message->extension_range(i);
    append_indented(out, "extensions " + range_text(range->start, range->end) + ";", depth);
  }
  if (message->reserved_range_count() > 0) {
    std::string line = "reserved ";
    for (int i = 0; i < message->reserved_range_count(); ++i) {
      if (i) line += ", ";
      line += range_text(message->reserved_range(i)->start, message->reserved_range(i)->end);
    }
    append_indented(out, line + ";", depth);
  }
  if (message->reserved_name_count() > 0) {
    std::string line = "reserved ";
    for (int i = 0; i < message->reserved_name_count(); ++i) {
      if (i) line += ", ";
      line += "\"" + message->reserved_name(i) + "\"";
    }
    append_indented(out, line + ";", depth);
  }
}

void print_message(std::string& out, const gp::Descriptor* message, int depth) {
  append_indented(out, "message " + message->name() + " {", depth);
  print_message_body(out, message, depth + 1);
  append_indented(out, "}", depth);
}

// syntax, package, imports and file options: DebugString of the file without its
// definitions, built beside the original's dependencies.
std::string file_header(const gp::FileDescriptor* file) {
  gp::FileDescriptorProto proto;
  file->CopyTo(&proto);
  proto.clear_message_type();
  proto.clear_enum_type();
  proto.clear_service();
  proto.clear_extension();
  gp::DescriptorPool pool;
  std::set<std::string> seen;
  // Dependencies first: a post-order walk.
  std::vector<const gp::FileDescriptor*> order;
  auto visit = [&](auto&& self, const gp::FileDescriptor* f) -> void {
    for (int i = 0; i < f->dependency_count(); ++i) {
      const auto* dependency = f->dependency(i);
      if (!seen.insert(dependency->name()).second) continue;
      self(self, dependency);
      order.push_back(dependency);
    }
  };
  visit(visit, file);
  for (const auto* dependency : order) {
    gp::FileDescriptorProto dependency_proto;
    dependency->CopyTo(&dependency_proto);
    pool.BuildFile(dependency_proto);
  }
  const auto* header = pool.BuildFile(proto);
  return header ? header->DebugString() : "";
}

}  // namespace

std::string print_proto_text(const gp::FileDescriptor* file) {
  std::string out = file_header(file);
  for (int i = 0; i < file->enum_type_count(); ++i) {
    out += '\n';
    out += file->enum_type(i)->DebugString();
  }
  for (int i = 0; i < file->message_type_count(); ++i) {
    out += '\n';
    print_message(out, file->message_type(i), 0);
  }
  for (int i = 0; i < file->service_count(); ++i) {
    out += '\n';
    out += file->service(i)->DebugString();
  }
  for (int i = 0; i < file->extension_count(); ++i) {
    out += '\n';
    out += file->extension(i)->DebugString();
  }
  return out;
}

}  // namespace wharf::schema::protobuf
