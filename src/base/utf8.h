// UTF-8 and JSON text, for bytes that arrive from outside (Kafka values, HTTP paths and
// bodies) and must go out as valid JSON.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wharf {

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlong forms,
// no surrogates, nothing past U+10FFFF), or 0 if there is none.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// Whether text is well-formed UTF-8 throughout.
bool is_valid_utf8(std::string_view text);

// Appends text escaped for inside JSON quotes; a byte that starts no valid UTF-8
// sequence becomes U+FFFD, so the output is always valid JSON.
void append_json_escaped(std::string& out, std::string_view text);
// The same with the quotes.
void append_json_string(std::string& out, std::string_view text);

}  // namespace wharf
