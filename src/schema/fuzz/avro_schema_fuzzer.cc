// libFuzzer harness for the Avro schema parser and compatibility checker (schemas come
// from Schema Registry clients, so from the network). The input is one schema, or two
// separated by a NUL byte. Properties checked beyond "no crash":
//   - a parsed schema's canonical form parses again to the same canonical form (unless
//     it mixes null-namespace named types into namespaced ones: the canonical form's
//     bare name then means the enclosing namespace, for Avro's Java code too);
//   - every schema can read its own data;
//   - two schemas can be checked against each other in both directions;
//   - the second part, read as Avro data of the first schema, either fails to decode or
//     decodes to JSON that encodes and decodes again to the same JSON.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "schema/avro_codec.h"
#include "schema/avro_compatibility.h"
#include "schema/avro_schema.h"

namespace avro = wharf::schema::avro;

namespace {

// Records which kinds of namespace the named types use.
void scan_namespaces(const avro::node& n, std::set<const avro::node*>& seen, bool& empty,
                     bool& named) {
  if (avro::is_named(n.type)) {
    if (!seen.insert(&n).second) return;
    (n.space.empty() ? empty : named) = true;
  }
  for (const auto& f : n.fields) scan_namespaces(*f.schema, seen, empty, named);
  for (const auto* b : n.branches) scan_namespaces(*b, seen, empty, named);
  if (n.items) scan_namespaces(*n.items, seen, empty, named);
  if (n.values) scan_namespaces(*n.values, seen, empty, named);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto split = input.find('\0');
  auto first = avro::schema::parse(input.substr(0, split));
  if (!first.ok()) return 0;
  auto canonical = (*first)->canonical_form();
  std::set<const avro::node*> seen;
  bool empty_space = false;
  bool named_space = false;
  scan_namespaces((*first)->root(), seen, empty_space, named_space);
  if (!(empty_space && named_space)) {
    auto again = avro::schema::parse(canonical);
    if (!again.ok() || (*again)->canonical_form() != canonical) std::abort();
  }
  if (!avro::check_reader_writer(**first, **first).compatible()) std::abort();
  if (split != std::string_view::npos) {
    if (auto datum = avro::decode_to_json((*first)->root(), input.substr(split + 1)); datum.ok()) {
      auto bytes = avro::encode_json((*first)->root(), *datum);
      if (!bytes.ok()) std::abort();
      auto again = avro::decode_to_json((*first)->root(), *bytes);
      if (!again.ok() || *again != *datum) std::abort();
    }
    auto second = avro::schema::parse(input.substr(split + 1));
    if (second.ok()) {
      (void)avro::check_reader_writer(**first, **second);
      (void)avro::check_reader_writer(**second, **first);
    }
  }
  return 0;
}
