#include "base/bytes.h"

#include <array>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace wharf {

std::uint32_t byte_reader::read_unsigned_varint() {
  std::uint32_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    auto byte = read_uint8();
    if (!ok()) return 0;
    if (shift == 28 && (byte & 0xf0) != 0) {
      fail("varint does not fit in 32 bits");
      return 0;
    }
    value |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail("varint is longer than 5 bytes");
  return 0;
}

std::uint64_t byte_reader::read_unsigned_varlong() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    auto byte = read_uint8();
    if (!ok()) return 0;
    if (shift == 63 && (byte & 0xfe) != 0) {
      fail("varlong does not fit in 64 bits");
      return 0;
    }
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail("varlong is longer than 10 bytes");
  return 0;
}

std::int32_t byte_reader::read_varint() {
  auto raw = read_unsigned_varint();
  return static_cast<std::int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

std::int64_t byte_reader::read_varlong() {
  auto raw = read_unsigned_varlong();
  return static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

namespace {

constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    table[i] = crc;
  }
  return table;
}

constexpr auto crc32c_table = make_crc32c_table();

std::uint32_t crc32c_portable(const std::uint8_t* p, std::size_t n, std::uint32_t crc) {
  crc = ~crc;
  while (n--) crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const std::uint8_t* p, std::size_t n,
                                                             std::uint32_t crc) {
  std::uint64_t c = ~crc;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#endif

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) {
  auto* p = static_cast<const std::uint8_t*>(data);
#if defined(__x86_64__)
  static const bool has_sse42 = __builtin_cpu_supports("sse4.2");
  if (has_sse42) return crc32c_sse42(p, size, crc);
#endif
  return crc32c_portable(p, size, crc);
}

}  // namespace wharf
