#include "schema/avro_compatibility.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace wharf::schema::avro {

std::string_view to_string(incompatibility_type type) {
  switch (type) {
    case incompatibility_type::name_mismatch: return "NAME_MISMATCH";
    case incompatibility_type::fixed_size_mismatch: return "FIXED_SIZE_MISMATCH";
    case incompatibility_type::missing_enum_symbols: return "MISSING_ENUM_SYMBOLS";
    case incompatibility_type::reader_field_missing_default_value:
      return "READER_FIELD_MISSING_DEFAULT_VALUE";
    case incompatibility_type::type_mismatch: return "TYPE_MISMATCH";
    case incompatibility_type::missing_union_branch: return "MISSING_UNION_BRANCH";
  }
  return "?";
}

namespace {

using incompatibilities = std::vector<incompatibility>;

// Walks reader and writer together. Each (reader, writer) pair is judged once: a pair met
// again while it is still being judged (a recursive type) counts as compatible unless
// proven otherwise, and a pair judged before repeats its verdict.
class checker {
 public:
  incompatibilities check(const node& reader, const node& writer) {
    auto key = std::make_pair(&reader, &writer);
    if (auto it = memo_.find(key); it != memo_.end()) {
      if (!it->second) return {};  // in progress
      return *it->second;
    }
    memo_[key] = std::nullopt;
    auto result = calculate(reader, writer);
    memo_[key] = result;
    return result;
  }

  std::vector<std::string> location;

 private:
  std::string where() const {
    std::string out;
    for (const auto& part : location) out += "/" + part;
    return out.empty() ? "/" : out;
  }

  incompatibilities one(incompatibility_type type, std::string message) const {
    return {incompatibility{type, where(), std::move(message)}};
  }

  incompatibilities type_mismatch(const node& reader, const node& writer) const {
    return one(incompatibility_type::type_mismatch,
               fmt::format("reader type: {} not compatible with writer type: {}",
                           type_constant(reader.type), type_constant(writer.type)));
  }

  static void merge(incompatibilities& into, incompatibilities more) {
    for (auto& i : more) into.push_back(std::move(i));
  }

  // Java's schemaNameEquals: simple names equal, or the writer's full name among the
  // reader's aliases.
  incompatibilities check_names(const node& reader, const node& writer) {
    if (reader.name == writer.name) return {};
    if (std::find(reader.aliases.begin(), reader.aliases.end(), writer.full_name) !=
        reader.aliases.end()) {
      return {};
    }
    location.push_back("name");
    auto out = one(incompatibility_type::name_mismatch, "expected: " + writer.full_name);
    location.pop_back();
    return out;
  }

  static const field* writer_field_for(const node& writer, const field& reader_field) {
    auto by_name = [&writer](const std::string& name) -> const field* {
      for (const auto& f : writer.fields) {
        if (f.name == name) return &f;
      }
      return nullptr;
    };
    if (const auto* f = by_name(reader_field.name)) return f;
    for (const auto& alias : reader_field.aliases) {
      if (const auto* f = by_name(alias)) return f;
    }
    return nullptr;
  }

  incompatibilities check_fields(const node& reader, const node& writer) {
    incompatibilities out;
    location.push_back("fields");
    for (std::size_t i = 0; i < reader.fields.size(); ++i) {
      const auto& rf = reader.fields[i];
      location.push_back(std::to_string(i));
      if (const auto* wf = writer_field_for(writer, rf)) {
        location.push_back("type");
        merge(out, check(*rf.schema, *wf->schema));
        location.pop_back();
      } else if (!rf.default_value) {
        // Java lets a missing enum field with an enum default through to a type check
        // against the writer record (which then fails as a type mismatch).
        if (rf.schema->type == type::enumeration && rf.schema->enum_default) {
          location.push_back("type");
          merge(out, check(*rf.schema, writer));
          location.pop_back();
        } else {
          merge(out, one(incompatibility_type::reader_field_missing_default_value, rf.name));
        }
      }
      location.pop_back();
    }
    location.pop_back();
    return out;
  }

  incompatibilities check_enum_symbols(const node& reader, const node& writer) {
    std::vector<std::string> missing;
    for (const auto& s : writer.symbols) {
      if (std::find(reader.symbols.begin(), reader.symbols.end(), s) == reader.symbols.end()) {
        missing.push_back(s);
      }
    }
    if (missing.empty() || reader.enum_default) return {};
    location.push_back("symbols");
    auto out = one(incompatibility_type::missing_enum_symbols,
                   fmt::format("[{}]", fmt::join(missing, ", ")));
    location.pop_back();
    return out;
  }

  incompatibilities calculate(const node& reader, const node& writer) {
    if (reader.type == writer.type) {
      switch (reader.type) {
        case type::null:
        case type::boolean:
        case type::int_:
        case type::long_:
        case type::float_:
        case type::double_:
        case type::bytes:
        case type::string: return {};
        case type::array: {
          location.push_back("items");
          auto out = check(*reader.items, *writer.items);
          location.pop_back();
          return out;
        }
        case type::map: {
          location.push_back("values");
          auto out = check(*reader.values, *writer.values);
          location.pop_back();
          return out;
        }
        case type::fixed: {
          auto out = check_names(reader, writer);
          if (reader.size != writer.size) {
            location.push_back("size");
            merge(out, one(incompatibility_type::fixed_size_mismatch,
                           fmt::format("expected: {}, found: {}", writer.size, reader.size)));
            location.pop_back();
          }
          return out;
        }
        case type::enumeration: {
          auto out = check_names(reader, writer);
          merge(out, check_enum_symbols(reader, writer));
          return out;
        }
        case type::record: {
          auto out = check_names(reader, writer);
          merge(out, check_fields(reader, writer));
          return out;
        }
        case type::union_: {
          // Every branch the writer may have written must be readable.
          incompatibilities out;
          for (std::size_t i = 0; i < writer.branches.size(); ++i) {
            location.push_back(std::to_string(i));
            if (!check(reader, *writer.branches[i]).empty()) {
              merge(out, one(incompatibility_type::missing_union_branch,
                             fmt::format("reader union lacking writer type: {}",
                                         type_constant(writer.branches[i]->type))));
            }
            location.pop_back();
          }
          return out;
        }
      }
    }
    // Different types: a writer union is readable if each of its branches is.
    if (writer.type == type::union_) {
      incompatibilities out;
      for (const auto* branch : writer.branches) merge(out, check(reader, *branch));
      return out;
    }
    switch (reader.type) {
      case type::long_:
        if (writer.type == type::int_) return {};
        break;
      case type::float_:
        if (writer.type == type::int_ || writer.type == type::long_) return {};
        break;
      case type::double_:
        if (writer.type == type::int_ || writer.type == type::long_ ||
            writer.type == type::float_) {
          return {};
        }
        break;
      case type::bytes:
        if (writer.type == type::string) return {};
        break;
      case type::string:
        if (writer.type == type::bytes) return {};
        break;
      case type::union_:
        for (const auto* branch : reader.branches) {
          if (check(*branch, writer).empty()) return {};
        }
        return one(incompatibility_type::missing_union_branch,
                   fmt::format("reader union lacking writer type: {}", type_constant(writer.type)));
      default: break;
    }
    return type_mismatch(reader, writer);
  }

  std::map<std::pair<const node*, const node*>, std::optional<incompatibilities>> memo_;
};

}  // namespace

compatibility_result check_reader_writer(const node& reader, const node& writer) {
  checker c;
  return {c.check(reader, writer)};
}

}  // namespace wharf::schema::avro
