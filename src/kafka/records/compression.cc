// Kafka's compression codecs over zlib, snappy, lz4frame and zstd, with capped decompression.
#include "kafka/records/compression.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

namespace wharf::kafka::records {

namespace {

// snappy-java's stream header: magic, then version 1 and "minimum compatible version" 1.
constexpr char xerial_magic[8] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
constexpr std::size_t xerial_header_size = 16;
// snappy-java's default block size; any size reads back, this one matches what Java writes.
constexpr std::size_t xerial_block_size = 32 * 1024;

records_error corrupt(std::string_view codec, std::string_view why) {
  return make_records_error(error_code::corrupt_message, "{} data is corrupt: {}", codec, why);
}

records_error too_large(std::string_view codec, std::size_t max_output) {
  return make_records_error(error_code::message_too_large,
                            "{} data decompresses to more than the limit of {} bytes", codec,
                            max_output);
}

// The output of a decompressor: a window of out that grows geometrically and never past
// max_output + 1 bytes, the extra byte telling "exactly at the cap" from "over it".
class capped_output {
 public:
  capped_output(std::string& out, std::size_t max_output, std::size_t hint)
      : out_(out), base_(out.size()), max_(std::min<std::size_t>(max_output, SIZE_MAX / 4)) {
    grow(hint);
  }

  bool exceeded() const { return written_ > max_; }

  // Writable space after what was written, growing the buffer when it is full. Only called
  // while !exceeded(), so there is always at least one byte.
  std::pair<char*, std::size_t> space() {
    if (written_ == capacity_) grow(capacity_ * 2);
    return {out_.data() + base_ + written_, capacity_ - written_};
  }
  void commit(std::size_t n) { written_ += n; }
  void finish() { out_.resize(base_ + written_); }
  std::size_t written() const { return written_; }

 private:
  void grow(std::size_t want) {
    std::size_t limit = max_ + 1;
    capacity_ = std::min(limit, std::max<std::size_t>({want, 4096, capacity_ + 1}));
    out_.resize(base_ + capacity_);
  }

  std::string& out_;
  std::size_t base_;
  std::size_t max_;
  std::size_t capacity_ = 0;
  std::size_t written_ = 0;
};

// A first guess of the decompressed size: typical record data compresses 2-5x.
std::size_t initial_guess(std::size_t input_size, std::size_t max_output) {
  return std::min(max_output + 1, std::max<std::size_t>(input_size * 4, 4096));
}

// --- gzip ------------------------------------------------------------------------------

records_status gzip_compress(std::string_view input, int level, std::string& out) {
  if (input.size() > UINT_MAX) {
    return records_error(error_code::message_too_large, "gzip input exceeds 4 GiB");
  }
  z_stream z{};
  // windowBits 15 + 16 selects the gzip wrapper, as java.util.zip.GZIPOutputStream writes.
  if (deflateInit2(&z, level == 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return records_error(error_code::unknown_server_error, "cannot initialise zlib deflate");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, deflateEnd);
  auto bound = deflateBound(&z, static_cast<uLong>(input.size()));
  auto base = out.size();
  out.resize(base + bound);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data() + base);
  z.avail_out = static_cast<uInt>(bound);
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
    out.resize(base);
    return records_error(error_code::unknown_server_error, "zlib deflate did not finish");
  }
  out.resize(base + z.total_out);
  return {};
}

records_status gzip_decompress(std::string_view input, std::size_t max_output, std::string& out) {
  if (input.size() > UINT_MAX) return corrupt("gzip", "input exceeds 4 GiB");
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    return records_error(error_code::unknown_server_error, "cannot initialise zlib inflate");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  capped_output sink(out, max_output, initial_guess(input.size(), max_output));
  for (;;) {
    if (sink.exceeded()) return too_large("gzip", max_output);
    auto [data, size] = sink.space();
    auto avail = static_cast<uInt>(std::min<std::size_t>(size, UINT_MAX));
    z.next_out = reinterpret_cast<Bytef*>(data);
    z.avail_out = avail;
    int rc = inflate(&z, Z_NO_FLUSH);
    sink.commit(avail - z.avail_out);
    if (rc == Z_STREAM_END) {
      // GZIPInputStream reads concatenated members and ignores other trailing bytes; so do we.
      if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
        if (inflateReset(&z) != Z_OK) return corrupt("gzip", "cannot reset inflate");
        continue;
      }
      break;
    }
    if (rc == Z_OK) continue;
    // Z_BUF_ERROR means no progress was possible: with output space free, input is missing.
    if (rc == Z_BUF_ERROR) return corrupt("gzip", "input ends early");
    return corrupt("gzip", z.msg ? z.msg : "inflate failed");
  }
  if (sink.exceeded()) return too_large("gzip", max_output);
  sink.finish();
  return {};
}

// --- snappy ----------------------------------------------------------------------------

void put_be32(std::string& out, std::uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}

std::uint32_t get_be32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

void snappy_raw_compress(std::string_view input, std::string& out) {
  auto base = out.size();
  out.resize(base + snappy::MaxCompressedLength(input.size()));
  std::size_t n = 0;
  snappy::RawCompress(input.data(), input.size(), out.data() + base, &n);
  out.resize(base + n);
}

records_status snappy_compress(std::string_view input, snappy_framing framing, std::string& out) {
  if (input.size() > UINT32_MAX) {
    return records_error(error_code::message_too_large, "snappy input exceeds 4 GiB");
  }
  if (framing == snappy_framing::raw) {
    snappy_raw_compress(input, out);
    return {};
  }
  out.append(xerial_magic, sizeof xerial_magic);
  put_be32(out, 1);
  put_be32(out, 1);
  for (std::size_t at = 0; at < input.size(); at += xerial_block_size) {
    auto length_at = out.size();
    put_be32(out, 0);
    snappy_raw_compress(input.substr(at, xerial_block_size), out);
    auto block = static_cast<std::uint32_t>(out.size() - length_at - 4);
    char b[4] = {static_cast<char>(block >> 24), static_cast<char>(block >> 16),
                 static_cast<char>(block >> 8), static_cast<char>(block)};
    std::memcpy(out.data() + length_at, b, 4);
  }
  return {};
}

// One raw snappy block appended to out; the length prefix lets us refuse a bomb before
// allocating.
records_status snappy_raw_block(std::string_view block, std::size_t& budget, std::size_t max_output,
                                std::string& out) {
  std::size_t length = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &length)) {
    return corrupt("snappy", "bad block length");
  }
  if (length > budget) return too_large("snappy", max_output);
  auto base = out.size();
  out.resize(base + length);
  if (!snappy::RawUncompress(block.data(), block.size(), out.data() + base)) {
    out.resize(base);
    return corrupt("snappy", "bad block");
  }
  budget -= length;
  return {};
}

records_status snappy_decompress(std::string_view input, std::size_t max_output, std::string& out) {
  std::size_t budget = max_output;
  if (!is_xerial_snappy(input)) return snappy_raw_block(input, budget, max_output, out);
  std::size_t at = xerial_header_size;
  while (at < input.size()) {
    if (input.size() - at < 4) return corrupt("snappy", "xerial block length is cut short");
    std::uint32_t length = get_be32(input.data() + at);
    at += 4;
    if (length > input.size() - at) return corrupt("snappy", "xerial block is cut short");
    WHARF_RETURN_IF_ERROR(snappy_raw_block(input.substr(at, length), budget, max_output, out));
    at += length;
  }
  return {};
}

// --- lz4 -------------------------------------------------------------------------------

records_status lz4_compress(std::string_view input, int level, std::string& out) {
  LZ4F_preferences_t prefs{};
  // Kafka's own writer: 64 KiB independent blocks, no checksums, no content size.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = level;
  auto bound = LZ4F_compressFrameBound(input.size(), &prefs);
  auto base = out.size();
  out.resize(base + bound);
  auto n = LZ4F_compressFrame(out.data() + base, bound, input.data(), input.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(base);
    return make_records_error(error_code::unknown_server_error, "lz4 compression failed: {}",
                              LZ4F_getErrorName(n));
  }
  out.resize(base + n);
  return {};
}

struct lz4_dctx_deleter {
  void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

records_status lz4_decompress(std::string_view input, std::size_t max_output, std::string& out) {
  // One context per thread: creating one costs an allocation of its 64 KiB+ buffers.
  thread_local std::unique_ptr<LZ4F_dctx, lz4_dctx_deleter> context = [] {
    LZ4F_dctx* d = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) d = nullptr;
    return std::unique_ptr<LZ4F_dctx, lz4_dctx_deleter>(d);
  }();
  if (!context) {
    return records_error(error_code::unknown_server_error, "cannot create an lz4 context");
  }
  LZ4F_resetDecompressionContext(context.get());
  const char* src = input.data();
  std::size_t left = input.size();
  capped_output sink(out, max_output, initial_guess(input.size(), max_output));
  for (;;) {
    if (sink.exceeded()) return too_large("lz4", max_output);
    auto [data, size] = sink.space();
    std::size_t produced = size;
    std::size_t consumed = left;
    auto rc = LZ4F_decompress(context.get(), data, &produced, src, &consumed, nullptr);
    if (LZ4F_isError(rc)) {
      LZ4F_resetDecompressionContext(context.get());
      return corrupt("lz4", LZ4F_getErrorName(rc));
    }
    sink.commit(produced);
    src += consumed;
    left -= consumed;
    if (rc == 0 && left == 0) break;  // a frame ended with the input
    if (rc != 0 && left == 0 && produced < size) return corrupt("lz4", "input ends early");
    if (consumed == 0 && produced == 0) return corrupt("lz4", "decoder made no progress");
  }
  if (sink.exceeded()) return too_large("lz4", max_output);
  sink.finish();
  return {};
}

// --- zstd ------------------------------------------------------------------------------

struct zstd_cctx_deleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct zstd_dctx_deleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

records_status zstd_compress(std::string_view input, int level, std::string& out) {
  thread_local std::unique_ptr<ZSTD_CCtx, zstd_cctx_deleter> context(ZSTD_createCCtx());
  if (!context) {
    return records_error(error_code::unknown_server_error, "cannot create a zstd context");
  }
  auto bound = ZSTD_compressBound(input.size());
  auto base = out.size();
  out.resize(base + bound);
  auto n = ZSTD_compressCCtx(context.get(), out.data() + base, bound, input.data(), input.size(),
                             level == 0 ? ZSTD_CLEVEL_DEFAULT : level);
  if (ZSTD_isError(n)) {
    out.resize(base);
    return make_records_error(error_code::unknown_server_error, "zstd compression failed: {}",
                              ZSTD_getErrorName(n));
  }
  out.resize(base + n);
  return {};
}

records_status zstd_decompress(std::string_view input, std::size_t max_output, std::string& out) {
  thread_local std::unique_ptr<ZSTD_DCtx, zstd_dctx_deleter> context(ZSTD_createDCtx());
  if (!context) {
    return records_error(error_code::unknown_server_error, "cannot create a zstd context");
  }
  ZSTD_DCtx_reset(context.get(), ZSTD_reset_session_only);
  // A declared size lets us refuse a bomb at once and allocate once; producers that stream
  // (zstd-jni's ZstdOutputStream) leave it out, so it is only a hint.
  std::size_t hint = initial_guess(input.size(), max_output);
  auto declared = ZSTD_getFrameContentSize(input.data(), input.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    if (declared > max_output) return too_large("zstd", max_output);
    hint = static_cast<std::size_t>(declared) + 1;
  }
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  capped_output sink(out, max_output, hint);
  for (;;) {
    if (sink.exceeded()) return too_large("zstd", max_output);
    auto [data, size] = sink.space();
    ZSTD_outBuffer o{data, size, 0};
    auto rc = ZSTD_decompressStream(context.get(), &o, &in);
    if (ZSTD_isError(rc)) {
      ZSTD_DCtx_reset(context.get(), ZSTD_reset_session_only);
      return corrupt("zstd", ZSTD_getErrorName(rc));
    }
    sink.commit(o.pos);
    if (rc == 0 && in.pos == in.size) break;  // the last frame is complete
    if (in.pos == in.size && o.pos < o.size) {
      ZSTD_DCtx_reset(context.get(), ZSTD_reset_session_only);
      return corrupt("zstd", "input ends early");
    }
  }
  if (sink.exceeded()) return too_large("zstd", max_output);
  sink.finish();
  return {};
}

}  // namespace

const char* compression_name(compression_type type) {
  switch (type) {
    case compression_type::none: return "none";
    case compression_type::gzip: return "gzip";
    case compression_type::snappy: return "snappy";
    case compression_type::lz4: return "lz4";
    case compression_type::zstd: return "zstd";
  }
  return "unknown";
}

std::optional<compression_type> compression_from_name(std::string_view name) {
  for (int id = 0; id <= 4; ++id) {
    auto type = static_cast<compression_type>(id);
    if (name == compression_name(type)) return type;
  }
  return std::nullopt;
}

std::optional<compression_type> compression_from_id(int id) {
  if (id < 0 || id > 4) return std::nullopt;
  return static_cast<compression_type>(id);
}

bool is_xerial_snappy(std::string_view input) {
  return input.size() >= xerial_header_size &&
         std::memcmp(input.data(), xerial_magic, sizeof xerial_magic) == 0;
}

records_status compress_append(compression_type type, std::string_view input, std::string& out,
                               const compress_options& options) {
  switch (type) {
    case compression_type::none: out.append(input); return {};
    case compression_type::gzip: return gzip_compress(input, options.level, out);
    case compression_type::snappy: return snappy_compress(input, options.snappy, out);
    case compression_type::lz4: return lz4_compress(input, options.level, out);
    case compression_type::zstd: return zstd_compress(input, options.level, out);
  }
  return records_error(error_code::unsupported_compression_type, "unknown compression type");
}

records_result<std::string> compress(compression_type type, std::string_view input,
                                     const compress_options& options) {
  std::string out;
  WHARF_RETURN_IF_ERROR(compress_append(type, input, out, options));
  return out;
}

records_status decompress_append(compression_type type, std::string_view input,
                                 std::size_t max_output, std::string& out) {
  switch (type) {
    case compression_type::none:
      if (input.size() > max_output) return too_large("uncompressed", max_output);
      out.append(input);
      return {};
    case compression_type::gzip: return gzip_decompress(input, max_output, out);
    case compression_type::snappy: return snappy_decompress(input, max_output, out);
    case compression_type::lz4: return lz4_decompress(input, max_output, out);
    case compression_type::zstd: return zstd_decompress(input, max_output, out);
  }
  return records_error(error_code::unsupported_compression_type, "unknown compression type");
}

records_result<std::string> decompress(compression_type type, std::string_view input,
                                       std::size_t max_output) {
  std::string out;
  WHARF_RETURN_IF_ERROR(decompress_append(type, input, max_output, out));
  return out;
}

}  // namespace wharf::kafka::records
