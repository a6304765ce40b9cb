// Reads JSON requests from stdin, one a line, and answers each with one JSON line, so that
// the integration tests can hold Wharf's Protobuf library against Python's protobuf:
//   {"op": "parse", "schema": S, "references": [{"name": N, "schema": S}...]}
//     -> {"text": ..., "normalized": ..., "serialized": ..., "messages": [...],
//         "indexes": {"pkg.Msg": [0, 1], ...}}
//   {"op": "encode", "schema": S, "references": [...], "message": NAME?, "json": "..."}
//     -> {"message": NAME, "hex": "<binary>", "indexes_hex": "<Confluent message indexes>"}
//   {"op": "decode", "schema": S, "references": [...], "message": NAME, "hex": "...",
//    "defaults": BOOL?, "proto_names": BOOL?}   (absent: Confluent REST Proxy's printing)
//     -> {"json": "..."}
//   {"op": "compat", "original": S, "update": S, "original_references": [...],
//    "update_references": [...]}
//     -> {"differences": [["FIELD_ADDED", "#/A/2"], ...], "incompatible": [...messages]}
// Any failure answers {"error": "..."}. "message" absent means the first message.
#include <iostream>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "schema/protobuf/protobuf_compatibility.h"
#include "schema/protobuf/protobuf_schema.h"

namespace pb = wharf::schema::protobuf;
namespace bj = boost::json;

namespace {

bj::object error_reply(const std::string& message) { return {{"error", message}}; }

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::string string_field(const bj::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::vector<pb::reference> references_field(const bj::object& o, const char* key) {
  std::vector<pb::reference> out;
  const auto* v = o.if_contains(key);
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->get_array()) {
    if (!item.is_object()) continue;
    out.push_back(
        {string_field(item.get_object(), "name"), string_field(item.get_object(), "schema")});
  }
  return out;
}

bj::object parse_op(const pb::schema& s) {
  bj::object indexes;
  bj::array messages;
  for (const auto& name : s.message_names()) {
    messages.emplace_back(name);
    bj::array path;
    auto path_of = s.message_indexes(name);  // named: a range over *temporary would dangle
    for (int i : *path_of) path.emplace_back(i);
    indexes[name] = std::move(path);
  }
  return {{"text", s.to_proto_text()},
          {"normalized", s.normalized_text()},
          {"serialized", s.to_serialized_base64()},
          {"messages", std::move(messages)},
          {"indexes", std::move(indexes)}};
}

bj::object encode_op(const pb::schema& s, const bj::object& request) {
  auto name = string_field(request, "message");
  if (name.empty()) {
    auto first = s.first_message_name();
    if (!first.ok()) return error_reply(first.err().message());
    name = *first;
  }
  auto indexes = s.message_indexes(name);
  if (!indexes.ok()) return error_reply(indexes.err().message());
  auto binary = s.json_to_binary(name, string_field(request, "json"));
  if (!binary.ok()) return error_reply(binary.err().message());
  return {{"message", name},
          {"hex", to_hex(*binary)},
          {"indexes_hex", to_hex(pb::encode_message_indexes(*indexes))}};
}

bj::object decode_op(const pb::schema& s, const bj::object& request) {
  pb::json_print_options options;
  if (const auto* v = request.if_contains("defaults"); v && v->is_bool()) {
    options.always_print_primitive_fields = v->get_bool();
  }
  if (const auto* v = request.if_contains("proto_names"); v && v->is_bool()) {
    options.preserve_proto_field_names = v->get_bool();
  }
  auto json = s.binary_to_json(string_field(request, "message"),
                               from_hex(string_field(request, "hex")), options);
  if (!json.ok()) return error_reply(json.err().message());
  return {{"json", *json}};
}

bj::object compat_op(const bj::object& request) {
  auto original = pb::schema::parse(string_field(request, "original"),
                                    references_field(request, "original_references"));
  if (!original.ok()) return error_reply("original: " + original.err().message());
  auto update = pb::schema::parse(string_field(request, "update"),
                                  references_field(request, "update_references"));
  if (!update.ok()) return error_reply("update: " + update.err().message());
  bj::array differences;
  bj::array incompatible;
  for (const auto& d : pb::check(**original, **update)) {
    differences.push_back(bj::array{bj::string(pb::to_string(d.type)), bj::string(d.path)});
    if (pb::incompatible(d)) incompatible.emplace_back(pb::to_confluent_message(d));
  }
  return {{"differences", std::move(differences)}, {"incompatible", std::move(incompatible)}};
}

bj::object answer(const std::string& line) {
  boost::system::error_code ec;
  auto request_value = bj::parse(line, ec);
  if (ec || !request_value.is_object()) return error_reply("not a JSON object");
  const auto& request = request_value.get_object();
  auto op = string_field(request, "op");
  if (op == "compat") return compat_op(request);
  auto parsed =
      pb::schema::parse(string_field(request, "schema"), references_field(request, "references"));
  if (!parsed.ok()) return error_reply(parsed.err().message());
  if (op == "parse") return parse_op(**parsed);
  if (op == "encode") return encode_op(**parsed, request);
  if (op == "decode") return decode_op(**parsed, request);
  return error_reply("unknown op '" + op + "'");
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::cout << bj::serialize(answer(line)) << '\n' << std::flush;
  }
  return 0;
}
