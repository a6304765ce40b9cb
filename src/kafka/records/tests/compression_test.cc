// Round trips, framings, corruption and size caps of the compression codecs.
#include "kafka/records/compression.h"

#include <random>

#include <gtest/gtest.h>
#include <snappy.h>
#include <zstd.h>

#include "kafka/records/tests/test_util.h"

namespace wharf::kafka::records {
namespace {

using testing::all_codecs;

std::string text(std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; out.size() < n; ++i) out += "record " + std::to_string(i * 7919 % 1000);
  out.resize(n);
  return out;
}

TEST(Compression, NamesAndIds) {
  for (auto codec : all_codecs) {
    EXPECT_EQ(compression_from_name(compression_name(codec)), codec);
    EXPECT_EQ(compression_from_id(static_cast<int>(codec)), codec);
  }
  EXPECT_FALSE(compression_from_name("brotli"));
  EXPECT_FALSE(compression_from_id(5));
  EXPECT_FALSE(compression_from_id(7));
}

TEST(Compression, RoundTripsEveryCodecAndSize) {
  std::mt19937_64 rng(7);
  for (auto codec : all_codecs) {
    for (std::size_t size : {0u, 1u, 100u, 65536u, 65537u, 300000u}) {
      for (bool random : {false, true}) {
        auto input = random ? testing::random_bytes(rng, size) : text(size);
        auto packed = compress(codec, input);
        ASSERT_RECORDS_OK(packed);
        auto unpacked = decompress(codec, *packed, input.size());
        ASSERT_TRUE(unpacked.ok())
            << compression_name(codec) << " " << size << ": " << unpacked.err().message();
        EXPECT_EQ(*unpacked, input) << compression_name(codec) << " " << size;
      }
    }
  }
}

TEST(Compression, LevelsRoundTrip) {
  auto input = text(100000);
  for (auto [codec, level] : {std::pair{compression_type::gzip, 1},
                              {compression_type::gzip, 9},
                              {compression_type::lz4, 9},
                              {compression_type::zstd, 1},
                              {compression_type::zstd, 19},
                              {compression_type::zstd, -5}}) {
    auto packed = compress(codec, input, {.level = level});
    ASSERT_RECORDS_OK(packed);
    EXPECT_EQ(decompress(codec, *packed, input.size()).value(), input);
  }
}

TEST(Compression, WritesTheFramingsKafkaClientsRead) {
  auto input = text(1000);
  auto gzip = compress(compression_type::gzip, input).value();
  EXPECT_EQ(gzip.substr(0, 2), "\x1f\x8b");
  auto lz4 = compress(compression_type::lz4, input).value();
  EXPECT_EQ(lz4.substr(0, 4), std::string("\x04\x22\x4d\x18", 4));
  // FLG: version 01, independent blocks, no checksums or size; BD: 64 KiB blocks.
  EXPECT_EQ(static_cast<std::uint8_t>(lz4[4]), 0x60);
  EXPECT_EQ(static_cast<std::uint8_t>(lz4[5]), 0x40);
  auto zstd = compress(compression_type::zstd, input).value();
  EXPECT_EQ(zstd.substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));
  auto xerial = compress(compression_type::snappy, input).value();
  EXPECT_EQ(xerial.substr(0, 16), std::string("\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16));
  EXPECT_TRUE(is_xerial_snappy(xerial));
  auto raw = compress(compression_type::snappy, input, {.snappy = snappy_framing::raw}).value();
  EXPECT_FALSE(is_xerial_snappy(raw));
  std::string plain;
  ASSERT_TRUE(snappy::Uncompress(raw.data(), raw.size(), &plain));
  EXPECT_EQ(plain, input);
}

TEST(Compression, XerialSplitsIntoBlocksOf32KiB) {
  auto input = text(100000);
  auto xerial = compress(compression_type::snappy, input).value();
  // Walk the blocks by hand: 4 blocks of up to 32 KiB, each a valid raw snappy block.
  std::size_t at = 16, blocks = 0;
  std::string joined;
  while (at < xerial.size()) {
    byte_reader r(std::string_view(xerial).substr(at, 4));
    auto length = r.read_uint32();
    std::string part;
    ASSERT_TRUE(snappy::Uncompress(xerial.data() + at + 4, length, &part));
    EXPECT_LE(part.size(), 32768u);
    joined += part;
    at += 4 + length;
    ++blocks;
  }
  EXPECT_EQ(blocks, 4u);
  EXPECT_EQ(joined, input);
}

TEST(Compression, ReadsRawAndXerialSnappyFromOtherWriters) {
  auto input = text(5000);
  std::string raw;
  snappy::Compress(input.data(), input.size(), &raw);
  EXPECT_EQ(decompress(compression_type::snappy, raw, 10000).value(), input);
  // xerial with odd block sizes and an empty block, as any writer may produce.
  std::string framed("\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16);
  for (auto [from, to] : {std::pair{0, 1000}, {1000, 1000}, {1000, 5000}}) {
    std::string block;
    snappy::Compress(input.data() + from, static_cast<std::size_t>(to - from), &block);
    byte_writer w(framed);
    w.write_uint32(static_cast<std::uint32_t>(block.size()));
    w.write_bytes(block);
  }
  EXPECT_EQ(decompress(compression_type::snappy, framed, 10000).value(), input);
  // Just the header: an empty payload.
  EXPECT_EQ(decompress(compression_type::snappy, framed.substr(0, 16), 10).value(), "");
}

TEST(Compression, ZstdFramesWithoutContentSize) {
  // zstd-jni's ZstdOutputStream streams, so its frames do not declare their size.
  auto input = text(200000);
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  std::string out(ZSTD_compressBound(input.size()), '\0');
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  for (std::size_t at = 0; at < input.size(); at += 10000) {
    ZSTD_inBuffer in{input.data() + at, std::min<std::size_t>(10000, input.size() - at), 0};
    while (in.pos < in.size) ZSTD_compressStream2(cctx.get(), &o, &in, ZSTD_e_continue);
  }
  ZSTD_inBuffer none{nullptr, 0, 0};
  while (ZSTD_compressStream2(cctx.get(), &o, &none, ZSTD_e_end) != 0) {
  }
  out.resize(o.pos);
  EXPECT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  EXPECT_EQ(decompress(compression_type::zstd, out, input.size()).value(), input);
  EXPECT_RECORDS_ERROR(decompress(compression_type::zstd, out, input.size() - 1),
                       error_code::message_too_large);
}

TEST(Compression, ConcatenatedGzipMembersAndZstdFrames) {
  auto a = text(3000), b = text(500);
  auto gz =
      compress(compression_type::gzip, a).value() + compress(compression_type::gzip, b).value();
  EXPECT_EQ(decompress(compression_type::gzip, gz, 10000).value(), a + b);
  auto zs =
      compress(compression_type::zstd, a).value() + compress(compression_type::zstd, b).value();
  EXPECT_EQ(decompress(compression_type::zstd, zs, 10000).value(), a + b);
}

TEST(Compression, CapIsExactAndBombsAreRefused) {
  auto input = text(50000);
  for (auto codec : all_codecs) {
    auto packed = compress(codec, input).value();
    EXPECT_TRUE(decompress(codec, packed, input.size()).ok()) << compression_name(codec);
    EXPECT_RECORDS_ERROR(decompress(codec, packed, input.size() - 1),
                         error_code::message_too_large);
  }
  // 64 MiB of zeros packs into well under 1 MiB; a 1 MiB cap must stop it early.
  std::string zeros(64u << 20, '\0');
  for (auto codec : all_codecs) {
    if (codec == compression_type::none) continue;
    auto bomb = compress(codec, zeros).value();
    EXPECT_LT(bomb.size(), zeros.size() / 16) << compression_name(codec);
    std::string out;
    auto status = decompress_append(codec, bomb, 1u << 20, out);
    ASSERT_FALSE(status.ok()) << compression_name(codec);
    EXPECT_EQ(status.err().code(), error_code::message_too_large);
    EXPECT_LE(out.capacity(), (2u << 20) + 64) << compression_name(codec);
  }
}

TEST(Compression, AppendsAfterExistingBytes) {
  auto packed = compress(compression_type::lz4, "hello").value();
  std::string out = "prefix:";
  ASSERT_RECORDS_OK(decompress_append(compression_type::lz4, packed, 100, out));
  EXPECT_EQ(out, "prefix:hello");
  out = "x";
  ASSERT_RECORDS_OK(compress_append(compression_type::none, "abc", out));
  EXPECT_EQ(out, "xabc");
}

TEST(Compression, TruncatedAndCorruptInputIsCorruptMessage) {
  auto input = text(20000);
  for (auto codec : all_codecs) {
    if (codec == compression_type::none) continue;
    auto packed = compress(codec, input).value();
    for (std::size_t cut :
         {std::size_t{0}, std::size_t{1}, std::size_t{5}, packed.size() / 2, packed.size() - 1}) {
      auto r = decompress(codec, packed.substr(0, cut), 1u << 20);
      // Cutting a xerial stream at a block boundary (or to just its header) is still a
      // valid, shorter stream; anything else must fail as corrupt.
      if (r.ok()) {
        EXPECT_EQ(codec, compression_type::snappy) << cut;
        EXPECT_LT(r->size(), input.size());
      } else {
        EXPECT_EQ(r.err().code(), error_code::corrupt_message)
            << compression_name(codec) << " cut at " << cut << ": " << r.err().message();
      }
    }
    std::string garbage = "this is not compressed data at all, not even close";
    EXPECT_RECORDS_ERROR(decompress(codec, garbage, 1u << 20), error_code::corrupt_message);
  }
}

TEST(Compression, RandomMutationsNeverCrash) {
  std::mt19937_64 rng(42);
  auto input = text(4000);
  for (auto codec : all_codecs) {
    auto packed = compress(codec, input).value();
    for (int round = 0; round < 2000; ++round) {
      auto mutated = packed;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        mutated[rng() % mutated.size()] ^= static_cast<char>(1 + rng() % 255);
      }
      auto r = decompress(codec, mutated, 8000);
      if (!r.ok()) {
        EXPECT_TRUE(r.err().code() == error_code::corrupt_message ||
                    r.err().code() == error_code::message_too_large)
            << r.err().message();
      } else {
        EXPECT_LE(r->size(), 8000u);
      }
    }
  }
}

}  // namespace
}  // namespace wharf::kafka::records
