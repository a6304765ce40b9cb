#include "base/base64.h"

#include <array>
#include <cstdint>

namespace wharf::base64 {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for alphabet characters, -1 for anything else.
constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr auto decode_table = make_decode_table();

}  // namespace

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t chunk = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                          (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                          std::uint32_t(std::uint8_t(bytes[i + 2]));
    out += alphabet[(chunk >> 18) & 63];
    out += alphabet[(chunk >> 12) & 63];
    out += alphabet[(chunk >> 6) & 63];
    out += alphabet[chunk & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t chunk = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    out += alphabet[(chunk >> 18) & 63];
    out += alphabet[(chunk >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    std::uint32_t chunk = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                          (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8);
    out += alphabet[(chunk >> 18) & 63];
    out += alphabet[(chunk >> 12) & 63];
    out += alphabet[(chunk >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> decode(std::string_view text) {
  // Padding is only valid as the last one or two characters of a 4-character group.
  std::size_t padding = 0;
  while (!text.empty() && text.back() == '=' && padding < 2) {
    text.remove_suffix(1);
    ++padding;
  }
  if (padding > 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
  if (text.size() % 4 == 1) return std::nullopt;

  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    auto value = decode_table[static_cast<unsigned char>(c)];
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, otherwise the text is not the encoding of any bytes.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace wharf::base64
