// libFuzzer harness for the Protobuf schema parser, printer and compatibility checker
// (schemas come from Schema Registry clients, so from the network). The input is one
// .proto text, or two separated by a NUL byte; an input starting with byte 0x01 is instead
// a serialized FileDescriptorProto, given to the parser in base64 as confluent-kafka sends
// schemas. Properties checked beyond "no crash":
//   - a parsed schema's printed text parses again and prints the same, its base64
//     descriptor parses again, and its normalized text parses again to the same
//     normalized text;
//   - a schema has no differences from itself;
//   - two schemas can be checked against each other in both directions;
//   - "{}" encodes as the first message, and the bytes decode again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/base64.h"
#include "schema/protobuf/protobuf_compatibility.h"
#include "schema/protobuf/protobuf_schema.h"

namespace pb = wharf::schema::protobuf;

namespace {

void check_round_trips(const pb::schema& s) {
  auto printed = pb::schema::parse(s.to_proto_text());
  if (!printed.ok()) std::abort();
  if ((*printed)->to_proto_text() != s.to_proto_text()) std::abort();
  auto from_descriptor = pb::schema::parse(s.to_serialized_base64());
  if (!from_descriptor.ok()) std::abort();
  auto normalized = pb::schema::parse(s.normalized_text());
  if (!normalized.ok() || (*normalized)->normalized_text() != s.normalized_text()) std::abort();
  if (!pb::check(s, s).empty()) std::abort();
  auto first = s.first_message_name();
  if (first.ok()) {
    auto bytes = s.json_to_binary(*first, "{}");
    if (bytes.ok() && !s.binary_to_json(*first, *bytes).ok()) std::abort();
    auto indexes = s.message_indexes(*first);
    if (!indexes.ok()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input[0] == '\x01') {
    auto parsed = pb::schema::parse(wharf::base64::encode(input.substr(1)));
    if (parsed.ok()) check_round_trips(**parsed);
    return 0;
  }
  auto separator = input.find('\0');
  auto first = pb::schema::parse(input.substr(0, separator));
  if (first.ok()) check_round_trips(**first);
  if (separator == std::string_view::npos) return 0;
  auto second = pb::schema::parse(input.substr(separator + 1));
  if (second.ok()) check_round_trips(**second);
  if (first.ok() && second.ok()) {
    (void)pb::check(**first, **second);
    (void)pb::check(**second, **first);
  }
  return 0;
}
