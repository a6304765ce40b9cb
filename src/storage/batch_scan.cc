// Walking the batches of a segment file (see batch_scan.h).
#include "storage/batch_scan.h"

#include <algorithm>

#include "base/bytes.h"

namespace wharf::storage::detail {

result<records::batch_header> parse_batch_header(std::string_view bytes) {
  auto parsed = records::read_batch_header(bytes);
  if (!parsed.ok()) return make_error(errc::parse_error, "{}", parsed.err().message());
  const records::batch_header& h = *parsed;
  constexpr auto min_length =
      static_cast<std::int32_t>(records::layout::header_size - records::layout::log_overhead);
  if (h.batch_length < min_length) {
    return make_error(errc::parse_error, "batch length {} is below the minimum of {}",
                      h.batch_length, min_length);
  }
  if (h.magic != records::current_magic) {
    return make_error(errc::parse_error, "magic byte {} where 2 was expected", h.magic);
  }
  if (h.last_offset_delta < 0 || h.record_count < 0) {
    return make_error(errc::parse_error, "negative last offset delta {} or record count {}",
                      h.last_offset_delta, h.record_count);
  }
  if (h.base_offset < 0 || h.base_offset > INT64_MAX - h.last_offset_delta - 1) {
    return make_error(errc::parse_error, "base offset {} is out of range", h.base_offset);
  }
  return h;
}

bool batch_crc_ok(std::string_view batch_bytes) {
  if (batch_bytes.size() < records::layout::header_size) return false;
  byte_reader r(batch_bytes.substr(records::layout::crc, 4));
  std::uint32_t stored = r.read_uint32();
  return crc32c(batch_bytes.substr(records::layout::attributes)) == stored;
}

result<std::string_view> batch_scanner::view(std::uint64_t position, std::size_t size) {
  if (position >= buffer_position_ && position + size <= buffer_position_ + buffer_.size()) {
    return std::string_view(buffer_).substr(position - buffer_position_, size);
  }
  std::size_t want = std::max(size, chunk_);
  want = static_cast<std::size_t>(std::min<std::uint64_t>(want, end_ - position));
  buffer_.resize(want);
  WHARF_ASSIGN_OR_RETURN(std::size_t n, file_.read_some(position, buffer_.data(), want));
  buffer_.resize(n);
  buffer_position_ = position;
  if (n < size) {
    return make_error(errc::parse_error, "{} ends at {} inside a batch", file_.path().string(),
                      position + n);
  }
  return std::string_view(buffer_).substr(0, size);
}

result<std::optional<batch_meta>> batch_scanner::next() {
  current_.reset();
  if (position_ >= end_) return std::optional<batch_meta>();
  if (end_ - position_ < records::layout::header_size) {
    return make_error(errc::parse_error, "{} bytes at {} cannot hold a batch header",
                      end_ - position_, position_);
  }
  WHARF_ASSIGN_OR_RETURN(std::string_view head, view(position_, records::layout::header_size));
  auto header = parse_batch_header(head);
  if (!header.ok()) return header.err().with_context(fmt::format("at position {}", position_));
  batch_meta meta{position_, *header};
  if (meta.size() > end_ - position_) {
    return make_error(errc::parse_error, "batch at {} of {} bytes runs past the end at {}",
                      position_, meta.size(), end_);
  }
  position_ += meta.size();
  current_ = meta;
  return current_;
}

result<std::string_view> batch_scanner::current_bytes() {
  WHARF_ASSERT(current_.has_value());
  return view(current_->position, static_cast<std::size_t>(current_->size()));
}

}  // namespace wharf::storage::detail
