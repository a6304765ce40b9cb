// Avro's Parsing Canonical Form (the specification's "Transforming into Parsing
// Canonical Form") and the CRC-64-AVRO fingerprint over it.
#include <array>
#include <set>

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

}  // namespace wharf::schema::avro
