// Internal to schema/protobuf: the .proto sources of the imports Confluent's registry and
// clients resolve without schema references, beyond google/protobuf/*.proto (which
// libprotobuf carries compiled in).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace wharf::schema::protobuf {

// (import path, .proto text) pairs.
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_proto_texts();

}  // namespace wharf::schema::protobuf
