// UTF-8 validity, for text that arrives as bytes (Kafka values, HTTP bodies).
#pragma once

#include <string_view>

namespace wharf {

// Whether text is well-formed UTF-8: no truncated or overlong sequences, no surrogates,
// nothing past U+10FFFF.
bool is_valid_utf8(std::string_view text);

}  // namespace wharf
