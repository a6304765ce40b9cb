// In-place append patching and the incremental CRC-32C update it relies on.
#include "kafka/records/patch.h"

#include <array>
#include <cstring>

#include "base/bytes.h"
#include "base/result.h"

namespace wharf::kafka::records {

namespace {

// The CRC register is a vector over GF(2) and feeding it a zero byte is a linear map, kept
// as 32 columns (the images of the 32 unit vectors).
using gf2_matrix = std::array<std::uint32_t, 32>;

std::uint32_t apply(const gf2_matrix& m, std::uint32_t v) {
  std::uint32_t out = 0;
  for (int bit = 0; v != 0; ++bit, v >>= 1) {
    if (v & 1) out ^= m[static_cast<std::size_t>(bit)];
  }
  return out;
}

gf2_matrix compose(const gf2_matrix& outer, const gf2_matrix& inner) {
  gf2_matrix out{};
  for (std::size_t j = 0; j < 32; ++j) out[j] = apply(outer, inner[j]);
  return out;
}

// powers[k] advances the register over 2^k zero bytes.
struct zero_byte_powers {
  std::array<gf2_matrix, 64> powers{};

  zero_byte_powers() {
    gf2_matrix one_byte{};
    for (std::size_t j = 0; j < 32; ++j) {
      std::uint32_t r = std::uint32_t{1} << j;
      // CRC-32C, reflected: shift right, xor the polynomial when a one falls out.
      for (int i = 0; i < 8; ++i) r = (r >> 1) ^ (0x82f63b78u & (0u - (r & 1)));
      one_byte[j] = r;
    }
    powers[0] = one_byte;
    for (std::size_t k = 1; k < powers.size(); ++k) {
      powers[k] = compose(powers[k - 1], powers[k - 1]);
    }
  }
};

// The raw register after `zeros` zero bytes (no pre/post inversion).
std::uint32_t advance_register(std::uint32_t reg, std::uint64_t zeros) {
  static const zero_byte_powers table;
  for (std::size_t k = 0; zeros != 0; ++k, zeros >>= 1) {
    if (zeros & 1) reg = apply(table.powers[k], reg);
  }
  return reg;
}

void store_be(char* at, std::uint64_t v, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    at[width - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::uint64_t load_be(const char* at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<std::uint8_t>(at[i]);
  return v;
}

}  // namespace

std::uint32_t crc32c_extend_zeros(std::uint32_t crc, std::uint64_t zeros) {
  return ~advance_register(~crc, zeros);
}

std::uint32_t crc32c_update(std::uint32_t crc, std::size_t total, std::size_t at,
                            std::span<const std::uint8_t> old_bytes,
                            std::span<const std::uint8_t> new_bytes) {
  WHARF_ASSERT(old_bytes.size() == new_bytes.size());
  WHARF_ASSERT(at + old_bytes.size() <= total);
  // CRC is affine, so crc(a) ^ crc(b) is the raw (zero-initialised) CRC of a ^ b: the
  // difference bytes, then as many zeros as follow them in the message.
  std::array<std::uint8_t, 64> diff{};
  std::uint32_t reg = 0;
  for (std::size_t done = 0; done < old_bytes.size(); done += diff.size()) {
    std::size_t n = std::min(diff.size(), old_bytes.size() - done);
    for (std::size_t i = 0; i < n; ++i) diff[i] = old_bytes[done + i] ^ new_bytes[done + i];
    // crc32c() inverts before and after; feeding it ~reg and inverting its result gives
    // the raw register update.
    reg = ~crc32c(diff.data(), n, ~reg);
  }
  return crc ^ advance_register(reg, total - at - old_bytes.size());
}

std::int64_t patch_for_append(std::span<char> batch, const append_patch& patch) {
  WHARF_ASSERT(batch.size() >= layout::header_size);
  char* p = batch.data();
  store_be(p + layout::base_offset, static_cast<std::uint64_t>(patch.base_offset), 8);
  store_be(p + layout::partition_leader_epoch,
           static_cast<std::uint32_t>(patch.partition_leader_epoch), 4);

  // attributes .. maxTimestamp: the CRC-covered bytes we may change.
  constexpr std::size_t first = layout::attributes;
  constexpr std::size_t last = layout::max_timestamp + 8;
  std::array<std::uint8_t, last - first> before{};
  std::memcpy(before.data(), p + first, before.size());

  if (patch.log_append_time_ms) {
    auto attributes = static_cast<std::uint16_t>(load_be(p + layout::attributes, 2));
    attributes |= static_cast<std::uint16_t>(attribute::log_append_time);
    store_be(p + layout::attributes, attributes, 2);
    store_be(p + layout::max_timestamp, static_cast<std::uint64_t>(*patch.log_append_time_ms), 8);
  } else if (patch.max_timestamp) {
    store_be(p + layout::max_timestamp, static_cast<std::uint64_t>(*patch.max_timestamp), 8);
  }

  std::array<std::uint8_t, last - first> after{};
  std::memcpy(after.data(), p + first, after.size());
  if (before != after) {
    auto crc = static_cast<std::uint32_t>(load_be(p + layout::crc, 4));
    crc = crc32c_update(crc, batch.size() - layout::attributes, 0, before, after);
    store_be(p + layout::crc, crc, 4);
  }
  auto last_offset_delta = static_cast<std::int32_t>(load_be(p + layout::last_offset_delta, 4));
  return wrapping_add(wrapping_add(patch.base_offset, last_offset_delta), 1);
}

}  // namespace wharf::kafka::records
