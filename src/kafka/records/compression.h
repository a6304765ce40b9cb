// The compression codecs of Kafka record batches (attributes bits 0-2): gzip, snappy, lz4 and
// zstd, in the exact framings real clients write and read.
//
// - gzip: RFC 1952 members (what java.util.zip.GZIPOutputStream writes).
// - snappy: either snappy-java's "xerial" framing (magic "\x82SNAPPY\0", two big-endian int32
//   versions, then blocks of big-endian int32 length + raw snappy) or one raw snappy block.
//   Readers must accept both: the Java client and kafka-python write xerial, librdkafka and
//   kafkajs-snappy write raw. We write xerial by default, as the Java broker does.
// - lz4: the LZ4 frame format with independent blocks (Kafka's Java reader refuses dependent
//   blocks).
// - zstd: zstd frames; decompression streams, since frames may not declare their size.
//
// Decompression of untrusted input is capped: output beyond max_output is refused with
// MESSAGE_TOO_LARGE before it is produced, so a tiny "decompression bomb" cannot make us
// allocate gigabytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kafka/records/error.h"

namespace wharf::kafka::records {

enum class compression_type : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

// "none", "gzip", "snappy", "lz4", "zstd" (Kafka's compression.type names).
const char* compression_name(compression_type type);
std::optional<compression_type> compression_from_name(std::string_view name);
// The codec of attribute bits 0-2, or nullopt for the unassigned ids 5-7.
std::optional<compression_type> compression_from_id(int id);

enum class snappy_framing : std::uint8_t { xerial, raw };

struct compress_options {
  // 0 picks the codec's default (gzip 6, lz4 fast, zstd 3), as Kafka's producer does.
  int level = 0;
  snappy_framing snappy = snappy_framing::xerial;
};

// Appends the compressed form of input to out.
records_status compress_append(compression_type type, std::string_view input, std::string& out,
                               const compress_options& options = {});
records_result<std::string> compress(compression_type type, std::string_view input,
                                     const compress_options& options = {});

// Appends the decompressed form of input to out, refusing (MESSAGE_TOO_LARGE) to append more
// than max_output bytes. Malformed input is CORRUPT_MESSAGE. On error, out may hold a partial
// result.
records_status decompress_append(compression_type type, std::string_view input,
                                 std::size_t max_output, std::string& out);
records_result<std::string> decompress(compression_type type, std::string_view input,
                                       std::size_t max_output);

// True when input starts with snappy-java's stream header.
bool is_xerial_snappy(std::string_view input);

}  // namespace wharf::kafka::records
