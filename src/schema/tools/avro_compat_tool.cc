// Reads JSON lines from stdin and prints one verdict line per input line, for comparison
// with Apache Avro's Java implementation (tests/peers/java AvroCheck prints the same):
//   compat:    {"reader": <schema>, "writer": <schema>}
//              -> COMPATIBLE | INCOMPATIBLE <TYPE>[,<TYPE>...] | ERROR <message>
//   canonical: <schema>
//              -> <fingerprint as signed decimal> <parsing canonical form> | ERROR <message>
//   encode:    {"schema": <schema>, "datum": <value in Avro's JSON encoding>} -> hex | ERROR
//   decode:    {"schema": <schema>, "hex": "..."} -> the datum as compact JSON | ERROR
#include <functional>
#include <iostream>
#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "schema/avro_codec.h"
#include "schema/avro_compatibility.h"
#include "schema/avro_schema.h"

namespace avro = wharf::schema::avro;
namespace bj = boost::json;

namespace {

std::string compat_line(const std::string& line) {
  boost::system::error_code ec;
  auto pair = bj::parse(line, ec);
  if (ec || !pair.is_object()) return "ERROR not a JSON object";
  const auto* reader_json = pair.get_object().if_contains("reader");
  const auto* writer_json = pair.get_object().if_contains("writer");
  if (!reader_json || !writer_json) return "ERROR needs reader and writer";
  auto reader = avro::schema::parse(bj::serialize(*reader_json));
  if (!reader.ok()) return "ERROR reader: " + reader.err().message();
  auto writer = avro::schema::parse(bj::serialize(*writer_json));
  if (!writer.ok()) return "ERROR writer: " + writer.err().message();
  auto result = avro::check_reader_writer(**reader, **writer);
  if (result.compatible()) return "COMPATIBLE";
  std::set<std::string> types;
  for (const auto& i : result.incompatibilities) types.emplace(avro::to_string(i.type));
  std::string out = "INCOMPATIBLE ";
  bool first = true;
  for (const auto& t : types) {
    if (!first) out += ',';
    out += t;
    first = false;
  }
  return out;
}

std::string canonical_line(const std::string& line) {
  auto parsed = avro::schema::parse(line);
  if (!parsed.ok()) return "ERROR " + parsed.err().message();
  return std::to_string(static_cast<std::int64_t>((*parsed)->fingerprint64())) + " " +
         (*parsed)->canonical_form();
}

// {"schema": ..., <field>: ...}: the parsed schema and the field, or an error line.
std::string with_schema(
    const std::string& line, const char* field,
    const std::function<std::string(const avro::schema&, const bj::value&)>& fn) {
  boost::system::error_code ec;
  auto input = bj::parse(line, ec);
  if (ec || !input.is_object()) return "ERROR not a JSON object";
  const auto* schema_json = input.get_object().if_contains("schema");
  const auto* value = input.get_object().if_contains(field);
  if (!schema_json || !value) return std::string("ERROR needs schema and ") + field;
  auto parsed = avro::schema::parse(bj::serialize(*schema_json));
  if (!parsed.ok()) return "ERROR schema: " + parsed.err().message();
  return fn(**parsed, *value);
}

std::string encode_line(const std::string& line) {
  return with_schema(line, "datum", [](const avro::schema& s, const bj::value& datum) {
    auto bytes = avro::encode_json(s.root(), datum);
    if (!bytes.ok()) return "ERROR " + bytes.err().message();
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : *bytes) {
      out += digits[c >> 4];
      out += digits[c & 15];
    }
    return out;
  });
}

std::string decode_line(const std::string& line) {
  return with_schema(line, "hex", [](const avro::schema& s, const bj::value& hex) {
    if (!hex.is_string() || hex.get_string().size() % 2) return std::string("ERROR bad hex");
    std::string bytes;
    const auto& h = hex.get_string();
    for (std::size_t i = 0; i < h.size(); i += 2) {
      bytes += static_cast<char>(std::stoi(std::string(h.subview(i, 2)), nullptr, 16));
    }
    auto datum = avro::decode_to_json(s.root(), bytes);
    if (!datum.ok()) return "ERROR " + datum.err().message();
    return bj::serialize(*datum);
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "compat";
  if (mode != "compat" && mode != "canonical" && mode != "encode" && mode != "decode") {
    std::cerr << "usage: avro_compat_tool [compat|canonical|encode|decode] < lines\n";
    return 2;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    if (mode == "compat") {
      std::cout << compat_line(line) << '\n';
    } else if (mode == "canonical") {
      std::cout << canonical_line(line) << '\n';
    } else if (mode == "encode") {
      std::cout << encode_line(line) << '\n';
    } else {
      std::cout << decode_line(line) << '\n';
    }
  }
  return 0;
}
