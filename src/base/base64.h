// Base64 (RFC 4648, standard alphabet) for byte payloads carried in JSON, such as the
// REST Proxy's "binary" embedded format.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wharf::base64 {

// Encodes with '=' padding.
std::string encode(std::string_view bytes);

// Decodes the standard alphabet; trailing '=' padding may be present or omitted (as
// Java's and Guava's decoders allow). Returns nullopt on any other character, on
// misplaced padding, or on a length no encoding can have.
std::optional<std::string> decode(std::string_view text);

}  // namespace wharf::base64
