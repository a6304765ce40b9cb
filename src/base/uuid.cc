#include "base/uuid.h"

#include <sys/random.h>

#include <cstdint>
#include <random>

#include <fmt/format.h>

namespace wharf {

std::string random_uuid() {
  thread_local std::mt19937_64 rng = [] {
    std::uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = std::random_device{}();
    return std::mt19937_64(seed);
  }();
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & ~0xF000ull) | 0x4000ull;                         // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // IETF variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

}  // namespace wharf
