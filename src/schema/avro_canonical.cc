// Avro's Parsing Canonical Form (the specification's "Transforming into Parsing
// Canonical Form"), the CRC-64-AVRO fingerprint over it, and the normalized form
// Confluent's registry stores for normalize=true.
#include <algorithm>
#include <array>
#include <set>

#include <boost/json/serialize.hpp>

#include "schema/avro_schema.h"

namespace wharf::schema::avro {

namespace {

// Names, symbols and primitive names hold no characters JSON must escape.
void append_quoted(std::string& out, std::string_view text) {
  out += '"';
  out += text;
  out += '"';
}

void append_canonical(std::string& out, const node& n, std::set<std::string>& defined) {
  switch (n.type) {
    case type::union_: {
      out += '[';
      for (std::size_t i = 0; i < n.branches.size(); ++i) {
        if (i > 0) out += ',';
        append_canonical(out, *n.branches[i], defined);
      }
      out += ']';
      return;
    }
    case type::array:
      out += R"({"type":"array","items":)";
      append_canonical(out, *n.items, defined);
      out += '}';
      return;
    case type::map:
      out += R"({"type":"map","values":)";
      append_canonical(out, *n.values, defined);
      out += '}';
      return;
    case type::record:
    case type::enumeration:
    case type::fixed: {
      // A named type is written out once; later uses are its full name.
      if (!defined.insert(n.full_name).second) {
        append_quoted(out, n.full_name);
        return;
      }
      out += R"({"name":)";
      append_quoted(out, n.full_name);
      out += R"(,"type":)";
      append_quoted(out, type_name(n.type));
      if (n.type == type::record) {
        out += R"(,"fields":[)";
        for (std::size_t i = 0; i < n.fields.size(); ++i) {
          if (i > 0) out += ',';
          out += R"({"name":)";
          append_quoted(out, n.fields[i].name);
          out += R"(,"type":)";
          append_canonical(out, *n.fields[i].schema, defined);
          out += '}';
        }
        out += ']';
      } else if (n.type == type::enumeration) {
        out += R"(,"symbols":[)";
        for (std::size_t i = 0; i < n.symbols.size(); ++i) {
          if (i > 0) out += ',';
          append_quoted(out, n.symbols[i]);
        }
        out += ']';
      } else {
        out += R"(,"size":)";
        out += std::to_string(n.size);
      }
      out += '}';
      return;
    }
    default: append_quoted(out, type_name(n.type));
  }
}

void append_json(std::string& out, const boost::json::value& v) {
  out += boost::json::serialize(v);
}

void append_props(std::string& out, const std::map<std::string, boost::json::value>& props) {
  for (const auto& [key, value] : props) {  // std::map: sorted, as Confluent's TreeMap
    out += ',';
    append_json(out, boost::json::string(key));
    out += ':';
    append_json(out, value);
  }
}

void append_logical(std::string& out, const node& n) {
  if (n.logical_type.empty()) return;
  out += R"(,"logicalType":)";
  append_json(out, boost::json::string(n.logical_type));
  if (n.logical_type == "decimal") {
    out += R"(,"precision":)" + std::to_string(n.precision);
    if (n.scale != 0) out += R"(,"scale":)" + std::to_string(n.scale);
  }
}

void append_aliases(std::string& out, std::vector<std::string> aliases) {
  if (aliases.empty()) return;
  std::sort(aliases.begin(), aliases.end());
  aliases.erase(std::unique(aliases.begin(), aliases.end()), aliases.end());
  boost::json::array list;
  for (auto& a : aliases) list.emplace_back(a);
  out += R"(,"aliases":)";
  append_json(out, list);
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Confluent's layout (AvroSchemaUtils.toNormalizedString): like the canonical form but
// keeping every attribute, each in a fixed place; named types already written, or
// defined by a reference, are written as their quoted full name.
void append_normalized(std::string& out, const node& n, std::set<std::string>& defined) {
  switch (n.type) {
    case type::union_:
      out += '[';
      for (std::size_t i = 0; i < n.branches.size(); ++i) {
        if (i > 0) out += ',';
        append_normalized(out, *n.branches[i], defined);
      }
      out += ']';
      return;
    case type::array:
    case type::map:
      out += R"({"type":)";
      append_quoted(out, type_name(n.type));
      out += n.type == type::array ? R"(,"items":)" : R"(,"values":)";
      append_normalized(out, n.type == type::array ? *n.items : *n.values, defined);
      append_logical(out, n);
      append_props(out, n.props);
      out += '}';
      return;
    case type::record:
    case type::enumeration:
    case type::fixed: {
      if (!defined.insert(n.full_name).second) {
        append_quoted(out, n.full_name);
        return;
      }
      out += R"({"name":)";
      append_quoted(out, n.full_name);
      out += R"(,"type":)";
      append_quoted(out, type_name(n.type));
      if (n.type == type::enumeration) {
        out += R"(,"symbols":[)";
        for (std::size_t i = 0; i < n.symbols.size(); ++i) {
          if (i > 0) out += ',';
          append_quoted(out, n.symbols[i]);
        }
        out += ']';
      } else if (n.type == type::fixed) {
        out += R"(,"size":)" + std::to_string(n.size);
      } else {
        out += R"(,"fields":[)";
        for (std::size_t i = 0; i < n.fields.size(); ++i) {
          const auto& f = n.fields[i];
          if (i > 0) out += ',';
          out += R"({"name":)";
          append_quoted(out, f.name);
          out += R"(,"type":)";
          append_normalized(out, *f.schema, defined);
          // Java's Field.Order prints its constant's name.
          out += R"(,"order":)";
          append_quoted(out, upper(f.order));
          if (!f.doc.empty()) {
            out += R"(,"doc":)";
            append_json(out, boost::json::string(f.doc));
          }
          append_aliases(out, f.aliases);
          if (f.default_value) {
            out += R"(,"default":)";
            append_json(out, *f.default_value);
          }
          append_props(out, f.props);
          out += '}';
        }
        out += ']';
      }
      append_logical(out, n);
      if (!n.doc.empty()) {
        out += R"(,"doc":)";
        append_json(out, boost::json::string(n.doc));
      }
      append_aliases(out, n.aliases);
      if (n.type == type::enumeration && n.enum_default) {
        out += R"(,"default":)";
        append_json(out, boost::json::string(*n.enum_default));
      }
      append_props(out, n.props);
      out += '}';
      return;
    }
    default:
      if (n.logical_type.empty() && n.props.empty()) return append_quoted(out, type_name(n.type));
      out += R"({"type":)";
      append_quoted(out, type_name(n.type));
      append_logical(out, n);
      append_props(out, n.props);
      out += '}';
  }
}

constexpr std::uint64_t empty_fingerprint = 0xc15d213aa4d7a795ULL;

constexpr std::array<std::uint64_t, 256> make_table() {
  std::array<std::uint64_t, 256> table{};
  for (std::uint64_t i = 0; i < 256; ++i) {
    std::uint64_t fp = i;
    for (int j = 0; j < 8; ++j) fp = (fp >> 1) ^ (empty_fingerprint & (0 - (fp & 1)));
    table[i] = fp;
  }
  return table;
}

constexpr auto fingerprint_table = make_table();

}  // namespace

std::uint64_t rabin_fingerprint64(std::string_view bytes) {
  std::uint64_t fp = empty_fingerprint;
  for (unsigned char b : bytes) fp = (fp >> 8) ^ fingerprint_table[(fp ^ b) & 0xff];
  return fp;
}

std::string schema::canonical_form() const {
  std::string out;
  std::set<std::string> defined;
  // Types from references are written in full at their first use, as if defined inline.
  append_canonical(out, *root_, defined);
  return out;
}

std::uint64_t schema::fingerprint64() const { return rabin_fingerprint64(canonical_form()); }

std::string schema::normalized_form() const {
  std::string out;
  std::set<std::string> defined;
  // Types a reference defines stay references: named, never written out.
  std::vector<const schema*> pending;
  for (const auto& ref : references_) pending.push_back(ref.get());
  while (!pending.empty()) {
    const schema* ref = pending.back();
    pending.pop_back();
    for (const auto& [name, n] : ref->named_) defined.insert(name);
    for (const auto& nested : ref->references_) pending.push_back(nested.get());
  }
  append_normalized(out, *root_, defined);
  return out;
}

}  // namespace wharf::schema::avro
