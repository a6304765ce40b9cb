// Confluent's Protobuf schema diff, rebuilt on libprotobuf descriptors. Confluent walks
// Square Wire's syntax tree; the differences that matter here: Wire has no label for a
// proto3 field written without one and none for oneof members, map fields are `map<K,V>`
// types rather than nested entry messages, and a message type used by a field is compared
// again only when it comes from a different reference (types of the schema itself are
// compared where they are declared).
#include "schema/protobuf/protobuf_compatibility.h"

#include <map>
#include <memory>
#include <optional>
#include <set>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

namespace wharf::schema::protobuf {

namespace gp = google::protobuf;

namespace {

using enum difference_type;

// Wire's view of a field's label; none for proto3 fields without one and oneof members.
enum class label { none, optional, required, repeated };

label label_of(const gp::FieldDescriptor* field) {
  if (field->is_required()) return label::required;
  if (field->is_map()) return label::none;
  if (field->is_repeated()) return label::repeated;
  if (field->real_containing_oneof()) return label::none;
  return field->has_optional_keyword() ? label::optional : label::none;
}

enum class field_kind { scalar, map, message };

field_kind kind_of(const gp::FieldDescriptor* field) {
  if (field->is_map()) return field_kind::map;
  if (field->cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE) return field_kind::message;
  return field_kind::scalar;  // enums count as scalars
}

// Which scalar types share a wire encoding closely enough to be swapped.
enum class scalar_kind {
  general_number,
  signed_number,
  string_or_bytes,
  fixed32,
  fixed64,
  float_,
  double_
};

scalar_kind scalar_kind_of(const gp::FieldDescriptor* field) {
  switch (field->type()) {
    case gp::FieldDescriptor::TYPE_SINT32:
    case gp::FieldDescriptor::TYPE_SINT64: return scalar_kind::signed_number;
    case gp::FieldDescriptor::TYPE_STRING:
    case gp::FieldDescriptor::TYPE_BYTES: return scalar_kind::string_or_bytes;
    case gp::FieldDescriptor::TYPE_FIXED32:
    case gp::FieldDescriptor::TYPE_SFIXED32: return scalar_kind::fixed32;
    case gp::FieldDescriptor::TYPE_FIXED64:
    case gp::FieldDescriptor::TYPE_SFIXED64: return scalar_kind::fixed64;
    case gp::FieldDescriptor::TYPE_FLOAT: return scalar_kind::float_;
    case gp::FieldDescriptor::TYPE_DOUBLE: return scalar_kind::double_;
    default:  // int32, int64, uint32, uint64, bool, enum
      return scalar_kind::general_number;
  }
}

bool is_numeric(scalar_kind kind) { return kind != scalar_kind::string_or_bytes; }

std::string local_name(const gp::Descriptor* message) {
  const auto& package = message->file()->package();
  const auto& full = message->full_name();
  if (!package.empty() && full.starts_with(package + ".")) return full.substr(package.size() + 1);
  return full;
}

// Whether two imported files are the same file, standing in for Confluent's "same
// reference subject and version".
bool same_file(const gp::FileDescriptor* a, const gp::FileDescriptor* b) {
  if (a->name() != b->name()) return false;
  gp::FileDescriptorProto proto_a;
  gp::FileDescriptorProto proto_b;
  a->CopyTo(&proto_a);
  b->CopyTo(&proto_b);
  return proto_a.SerializeAsString() == proto_b.SerializeAsString();
}

using same_import_cache =
    std::map<std::pair<const gp::FileDescriptor*, const gp::FileDescriptor*>, bool>;

class differ {
 public:
  differ(const gp::FileDescriptor* original_file, const gp::FileDescriptor* update_file)
      : original_file_(original_file), update_file_(update_file) {}

  std::vector<difference> take() { return std::move(differences_); }

  void compare_files() {
    if (original_file_->package() != update_file_->package()) add(package_changed);
    compare_types(collect_types(original_file_), collect_types(update_file_));
  }

 private:
  // The messages and enums declared at one level (a file or a message).
  struct types {
    std::map<std::string, std::pair<const gp::Descriptor*, int>> messages;  // name -> index
    std::map<std::string, const gp::EnumDescriptor*> enums;
  };

  template <typename Scope>
  static types collect_types_of(const Scope* scope, int message_count, int enum_count,
                                const gp::Descriptor* (Scope::*message_at)(int) const,
                                const gp::EnumDescriptor* (Scope::*enum_at)(int) const) {
    types out;
    int index = 0;
    for (int i = 0; i < message_count; ++i) {
      const auto* message = (scope->*message_at)(i);
      // Wire writes map fields as map<K, V>: their entry messages are not types.
      if (message->options().map_entry()) continue;
      out.messages[message->name()] = {message, index++};
    }
    for (int i = 0; i < enum_count; ++i) {
      const auto* enumeration = (scope->*enum_at)(i);
      out.enums[enumeration->name()] = enumeration;
    }
    return out;
  }
  static types collect_types(const gp::FileDescriptor* file) {
    return collect_types_of(file, file->message_type_count(), file->enum_type_count(),
                            &gp::FileDescriptor::message_type, &gp::FileDescriptor::enum_type);
  }
  static types collect_types(const gp::Descriptor* message) {
    return collect_types_of(message, message->nested_type_count(), message->enum_type_count(),
                            &gp::Descriptor::nested_type, &gp::Descriptor::enum_type);
  }

  void compare_types(const types& original, const types& update) {
    std::set<std::string> message_names;
    for (const auto& [name, _] : original.messages) message_names.insert(name);
    for (const auto& [name, _] : update.messages) message_names.insert(name);
    for (const auto& name : message_names) {
      path_scope scope(*this, name);
      auto o = original.messages.find(name);
      auto u = update.messages.find(name);
      if (u == update.messages.end()) {
        add(message_removed);
      } else if (o == original.messages.end()) {
        add(message_added);
      } else {
        compare_messages(o->second.first, u->second.first);
        if (o->second.second != u->second.second) add(message_moved);
      }
    }
    std::set<std::string> enum_names;
    for (const auto& [name, _] : original.enums) enum_names.insert(name);
    for (const auto& [name, _] : update.enums) enum_names.insert(name);
    for (const auto& name : enum_names) {
      path_scope scope(*this, name);
      auto o = original.enums.find(name);
      auto u = update.enums.find(name);
      if (u == update.enums.end()) {
        add(enum_removed);
      } else if (o == original.enums.end()) {
        add(enum_added);
      } else {
        compare_enums(o->second, u->second);
      }
    }
  }

  void compare_enums(const gp::EnumDescriptor* original, const gp::EnumDescriptor* update) {
    // By number; with allow_alias the last name for a number stands, as in Confluent.
    std::map<int, std::string> original_values;
    std::map<int, std::string> update_values;
    for (int i = 0; i < original->value_count(); ++i) {
      original_values[original->value(i)->number()] = original->value(i)->name();
    }
    for (int i = 0; i < update->value_count(); ++i) {
      update_values[update->value(i)->number()] = update->value(i)->name();
    }
    std::set<int> numbers;
    for (const auto& [number, _] : original_values) numbers.insert(number);
    for (const auto& [number, _] : update_values) numbers.insert(number);
    for (int number : numbers) {
      path_scope scope(*this, std::to_string(number));
      auto o = original_values.find(number);
      auto u = update_values.find(number);
      if (u == update_values.end()) {
        add(enum_const_removed);
      } else if (o == original_values.end()) {
        add(enum_const_added);
      } else if (o->second != u->second) {
        add(enum_const_changed);
      }
    }
  }

  struct field_info {
    std::map<int, const gp::FieldDescriptor*> by_number;
    std::map<int, std::string> oneof_of;  // number -> oneof name, for oneof members
    std::map<std::string, const gp::OneofDescriptor*> oneofs;
  };

  static field_info collect_fields(const gp::Descriptor* message) {
    field_info info;
    for (int i = 0; i < message->field_count(); ++i) {
      const auto* field = message->field(i);
      info.by_number[field->number()] = field;
      if (const auto* oneof = field->real_containing_oneof()) {
        info.oneof_of[field->number()] = oneof->name();
      }
    }
    for (int i = 0; i < message->real_oneof_decl_count(); ++i) {
      info.oneofs[message->oneof_decl(i)->name()] = message->oneof_decl(i);
    }
    return info;
  }

  void compare_messages(const gp::Descriptor* original, const gp::Descriptor* update) {
    // A message already being compared further up (a recursive type) is not compared
    // again, but its nested types still are, as in Confluent.
    bool entered = messages_in_scope_.insert(original).second;
    if (entered) compare_fields(original, update);
    compare_types(collect_types(original), collect_types(update));
    if (entered) messages_in_scope_.erase(original);
  }

  void compare_fields(const gp::Descriptor* original_message,
                      const gp::Descriptor* update_message) {
    auto original = collect_fields(original_message);
    auto update = collect_fields(update_message);

    // Oneofs gone with all their members: their members are not reported one by one.
    std::set<std::string> wholly_removed_oneofs;
    for (const auto& [name, oneof] : original.oneofs) {
      if (update.oneofs.contains(name)) continue;
      bool member_survives = false;
      for (int i = 0; i < oneof->field_count(); ++i) {
        member_survives |= update.by_number.contains(oneof->field(i)->number());
      }
      if (!member_survives) wholly_removed_oneofs.insert(name);
    }

    // Fields gathered into a oneof from more than one origin.
    for (int i = 0; i < update_message->real_oneof_decl_count(); ++i) {
      const auto* oneof = update_message->oneof_decl(i);
      path_scope scope(*this, oneof->name());
      std::set<std::string> origins;
      int moved_from_top_level = 0;
      for (int f = 0; f < oneof->field_count(); ++f) {
        int number = oneof->field(f)->number();
        if (auto it = original.oneof_of.find(number); it != original.oneof_of.end()) {
          origins.insert("oneof:" + it->second);
        } else if (original.by_number.contains(number)) {
          origins.insert("field:" + std::to_string(number));
          ++moved_from_top_level;
        }
      }
      if (origins.size() > 1) {
        add(moved_from_top_level > 1 ? multiple_fields_moved_to_oneof
                                     : field_moved_to_existing_oneof);
      }
    }

    std::set<std::string> oneof_names;
    for (const auto& [name, _] : original.oneofs) oneof_names.insert(name);
    for (const auto& [name, _] : update.oneofs) oneof_names.insert(name);
    for (const auto& name : oneof_names) {
      path_scope scope(*this, name);
      if (!update.oneofs.contains(name)) {
        add(oneof_removed);
      } else if (!original.oneofs.contains(name)) {
        add(oneof_added);
      }
    }

    std::set<int> numbers;
    for (const auto& [number, _] : original.by_number) numbers.insert(number);
    for (const auto& [number, _] : update.by_number) numbers.insert(number);
    for (int number : numbers) {
      auto tag = std::to_string(number);
      auto o = original.by_number.find(number);
      auto u = update.by_number.find(number);
      auto original_oneof = original.oneof_of.find(number);
      auto update_oneof = update.oneof_of.find(number);
      bool in_original_oneof = original_oneof != original.oneof_of.end();
      bool in_update_oneof = update_oneof != update.oneof_of.end();
      if (u == update.by_number.end()) {
        if (in_original_oneof) {
          if (!wholly_removed_oneofs.contains(original_oneof->second)) {
            path_scope oneof_scope(*this, original_oneof->second);
            path_scope field_scope(*this, tag);
            add(oneof_field_removed);
          }
        } else {
          path_scope scope(*this, tag);
          add(o->second->is_required() ? required_field_removed : field_removed);
        }
      } else if (o == original.by_number.end()) {
        if (in_update_oneof) {
          path_scope oneof_scope(*this, update_oneof->second);
          path_scope field_scope(*this, tag);
          add(oneof_field_added);
        } else {
          path_scope scope(*this, tag);
          add(u->second->is_required() ? required_field_added : field_added);
        }
      } else {
        if (in_original_oneof && !in_update_oneof) {
          path_scope scope(*this, tag);
          add(oneof_field_moved_to_top_level);
        }
        std::optional<path_scope> oneof_scope;
        if (in_update_oneof) oneof_scope.emplace(*this, update_oneof->second);
        path_scope field_scope(*this, tag);
        compare_field(o->second, u->second);
      }
    }
  }

  void compare_field(const gp::FieldDescriptor* original, const gp::FieldDescriptor* update) {
    if (original->name() != update->name()) add(field_name_changed);
    compare_labels_and_types(original, label_of(original), update, label_of(update));
  }

  void compare_labels_and_types(const gp::FieldDescriptor* original, label original_label,
                                const gp::FieldDescriptor* update, label update_label) {
    auto kind = kind_of(original);
    if (kind != kind_of(update)) {
      add(field_kind_changed);
      return;
    }
    switch (kind) {
      case field_kind::scalar: {
        auto original_scalar = scalar_kind_of(original);
        if (original_scalar != scalar_kind_of(update)) {
          add(field_scalar_kind_changed);
        } else if (original_label != label::none && update_label != label::none &&
                   original_label != update_label) {
          add(is_numeric(original_scalar) ? field_numeric_label_changed
                                          : field_string_or_bytes_label_changed);
        }
        break;
      }
      case field_kind::message:
        compare_message_types(original->message_type(), update->message_type());
        break;
      case field_kind::map: {
        // Keys and values compare as label-less fields.
        const auto* original_entry = original->message_type();
        const auto* update_entry = update->message_type();
        compare_labels_and_types(original_entry->map_key(), label::none, update_entry->map_key(),
                                 label::none);
        compare_labels_and_types(original_entry->map_value(), label::none,
                                 update_entry->map_value(), label::none);
        break;
      }
    }
  }

  void compare_message_types(const gp::Descriptor* original, const gp::Descriptor* update) {
    auto original_local = local_name(original);
    if (original_local != local_name(update)) {
      add(field_named_type_changed);
      return;
    }
    // Types declared in the compared schemas themselves are compared where they are
    // declared; an imported type is compared unless both sides import the same file.
    bool declared_in_schemas = original->file() == original_file_ && update->file() == update_file_;
    if (declared_in_schemas || same_import(original->file(), update->file())) return;
    // The referenced message is compared in a context of its own, rooted at its name.
    differ nested(original_file_, update_file_);
    nested.messages_in_scope_ = messages_in_scope_;
    nested.same_imports_ = same_imports_;
    std::string part;
    for (char c : original_local) {
      if (c == '.') {
        nested.path_.push_back(std::move(part));
        part.clear();
      } else {
        part += c;
      }
    }
    nested.path_.push_back(part);
    nested.compare_messages(original, update);
    bool nested_compatible = true;
    for (auto& d : nested.differences_) {
      nested_compatible &= !incompatible(d.type);
      differences_.push_back(std::move(d));
    }
    if (!nested_compatible) add(field_named_type_changed);
  }

  // same_file, remembered: a schema may use many types of one import.
  bool same_import(const gp::FileDescriptor* original, const gp::FileDescriptor* update) {
    auto key = std::pair(original, update);
    auto it = same_imports_->find(key);
    if (it == same_imports_->end())
      it = same_imports_->emplace(key, same_file(original, update)).first;
    return it->second;
  }

  class path_scope {
   public:
    path_scope(differ& d, std::string part) : differ_(d) {
      differ_.path_.push_back(std::move(part));
    }
    ~path_scope() { differ_.path_.pop_back(); }
    path_scope(const path_scope&) = delete;
    path_scope& operator=(const path_scope&) = delete;

   private:
    differ& differ_;
  };

  void add(difference_type type) {
    std::string path = "#/";
    for (std::size_t i = 0; i < path_.size(); ++i) {
      if (i) path += '/';
      path += path_[i];
    }
    differences_.push_back({type, std::move(path)});
  }

  const gp::FileDescriptor* original_file_;
  const gp::FileDescriptor* update_file_;
  std::vector<std::string> path_;
  std::set<const gp::Descriptor*> messages_in_scope_;
  std::vector<difference> differences_;
  // Shared with the differs comparing imported types.
  std::shared_ptr<same_import_cache> same_imports_ = std::make_shared<same_import_cache>();
};

}  // namespace

std::string_view to_string(difference_type type) {
  switch (type) {
    case package_changed: return "PACKAGE_CHANGED";
    case message_added: return "MESSAGE_ADDED";
    case message_removed: return "MESSAGE_REMOVED";
    case message_moved: return "MESSAGE_MOVED";
    case enum_added: return "ENUM_ADDED";
    case enum_removed: return "ENUM_REMOVED";
    case enum_const_added: return "ENUM_CONST_ADDED";
    case enum_const_changed: return "ENUM_CONST_CHANGED";
    case enum_const_removed: return "ENUM_CONST_REMOVED";
    case field_added: return "FIELD_ADDED";
    case field_removed: return "FIELD_REMOVED";
    case field_name_changed: return "FIELD_NAME_CHANGED";
    case field_kind_changed: return "FIELD_KIND_CHANGED";
    case field_scalar_kind_changed: return "FIELD_SCALAR_KIND_CHANGED";
    case field_named_type_changed: return "FIELD_NAMED_TYPE_CHANGED";
    case field_numeric_label_changed: return "FIELD_NUMERIC_LABEL_CHANGED";
    case field_string_or_bytes_label_changed: return "FIELD_STRING_OR_BYTES_LABEL_CHANGED";
    case required_field_added: return "REQUIRED_FIELD_ADDED";
    case required_field_removed: return "REQUIRED_FIELD_REMOVED";
    case oneof_added: return "ONEOF_ADDED";
    case oneof_removed: return "ONEOF_REMOVED";
    case oneof_field_added: return "ONEOF_FIELD_ADDED";
    case oneof_field_removed: return "ONEOF_FIELD_REMOVED";
    case oneof_field_moved_to_top_level: return "ONEOF_FIELD_MOVED_TO_TOP_LEVEL";
    case multiple_fields_moved_to_oneof: return "MULTIPLE_FIELDS_MOVED_TO_ONEOF";
    case field_moved_to_existing_oneof: return "FIELD_MOVED_TO_EXISTING_ONEOF";
  }
  return "UNKNOWN";
}

bool incompatible(difference_type type) {
  switch (type) {
    case message_added:
    case message_moved:
    case enum_added:
    case enum_removed:
    case enum_const_added:
    case enum_const_changed:
    case enum_const_removed:
    case field_added:
    case field_removed:
    case field_name_changed:
    case field_string_or_bytes_label_changed:
    case oneof_added:
    case oneof_removed:
    case oneof_field_added:
    case oneof_field_moved_to_top_level: return false;
    default: return true;
  }
}

std::vector<difference> check(const schema& original, const schema& update) {
  differ d(original.descriptor(), update.descriptor());
  d.compare_files();
  return d.take();
}

std::vector<difference> incompatibilities(const schema& original, const schema& update) {
  std::vector<difference> out;
  for (auto& d : check(original, update)) {
    if (incompatible(d)) out.push_back(std::move(d));
  }
  return out;
}

std::string describe(const difference& d, std::string_view update_name,
                     std::string_view original_name) {
  const auto& path = d.path;
  const auto& u = update_name;
  const auto& o = original_name;
  switch (d.type) {
    case package_changed:
      return fmt::format(
          "The package at '{}' in the {} schema does not match the package in the {} schema", path,
          u, o);
    case message_removed:
      return fmt::format("The {} schema is missing a MESSAGE type at path '{}' in the {} schema", u,
                         path, o);
    case field_kind_changed:
      return fmt::format(
          "The type of a field at path '{}' in the {} schema does not match the {} schema", path, u,
          o);
    case field_scalar_kind_changed:
      return fmt::format(
          "The kind of a SCALAR field at path '{}' in the {} schema does not match its kind in "
          "the {} schema",
          path, u, o);
    case field_named_type_changed:
      return fmt::format(
          "The type of a MESSAGE field at path '{}' in the {} schema does not match its type in "
          "the {} schema",
          path, u, o);
    case field_numeric_label_changed:
      return fmt::format(
          "The label for a NUMERIC field at path '{}' in the {} schema does not match its label "
          "in the {} schema",
          path, u, o);
    case required_field_added:
      // Confluent's text has the double space; clients may match it verbatim.
      return fmt::format(
          "A required field  at path '{}' in the {} schema is missing in the {} "
          "schema",
          path, u, o);
    case required_field_removed:
      return fmt::format("The {} schema is missing a required field at path: '{}' in the {} schema",
                         u, path, o);
    case oneof_field_removed:
      return fmt::format("The {} schema is missing a oneof field at path '{}' in the {} schema", u,
                         path, o);
    case oneof_field_moved_to_top_level:
      return fmt::format(
          "The oneof field at path '{}' in the {} schema was moved out of its oneof to a "
          "top-level field in the {} schema",
          path, u, o);
    case multiple_fields_moved_to_oneof:
      return fmt::format(
          "Multiple fields in the oneof at path '{}' in the {} schema are outside a oneof in the "
          "{} schema",
          path, u, o);
    case field_moved_to_existing_oneof:
      return fmt::format(
          "A field in the oneof at path '{}' in the {} schema is outside an existing oneof in the "
          "{} schema",
          path, u, o);
    default: return "";
  }
}

std::string to_confluent_message(const difference& d, std::string_view update_name,
                                 std::string_view original_name) {
  return fmt::format("{{errorType:\"{}\", description:\"{}\"}}", to_string(d.type),
                     describe(d, update_name, original_name));
}

}  // namespace wharf::schema::protobuf
