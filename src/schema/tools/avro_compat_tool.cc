// Reads JSON lines from stdin and prints one verdict line per input line, for comparison
// with Apache Avro's Java implementation (tests/peers/java AvroCheck prints the same):
//   compat:    {"reader": <schema>, "writer": <schema>}
//              -> COMPATIBLE | INCOMPATIBLE <TYPE>[,<TYPE>...] | ERROR <message>
//   canonical: <schema>
//              -> <fingerprint as signed decimal> <parsing canonical form> | ERROR <message>
#include <iostream>
#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

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

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "compat";
  if (mode != "compat" && mode != "canonical") {
    std::cerr << "usage: avro_compat_tool [compat|canonical] < lines\n";
    return 2;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::cout << (mode == "compat" ? compat_line(line) : canonical_line(line)) << '\n';
  }
  return 0;
}
