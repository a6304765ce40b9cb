// libFuzzer target for the record-batch code: arbitrary bytes through batch framing,
// validation, record decoding, append patching and every decompressor. Besides "no crash,
// no sanitizer report" it checks the promises the broker relies on:
//   - a batch validate_batch() accepts decodes cleanly to its record count;
//   - patching an accepted batch leaves a CRC-valid batch that still validates;
//   - no decompressor hands back more than its cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kafka/records/batch.h"
#include "kafka/records/compression.h"
#include "kafka/records/patch.h"
#include "kafka/records/record.h"
#include "kafka/records/validate.h"

namespace {

using namespace wharf::kafka::records;

// Small caps keep each run fast while still crossing them.
constexpr std::size_t cap = 1 << 16;

void check(bool condition) {
  if (!condition) std::abort();
}

void exercise_batch(const batch_view& batch) {
  validation_options options;
  options.max_batch_bytes = 1 << 20;
  options.max_decompressed_bytes = cap;
  options.require_zero_base_offset = false;
  options.allow_control_batches = true;
  options.allow_log_append_time = true;
  auto summary = validate_batch(batch.bytes(), options);

  // Decoding must be safe whether or not validation passed.
  record_reader reader(batch, cap);
  std::int32_t seen = 0;
  for (;;) {
    auto rec = reader.next();
    if (!rec.ok() || !rec->has_value()) break;
    ++seen;
    for (const auto& header : (*rec)->headers()) (void)header;
    if (batch.header().is_control() && (*rec)->key) {
      (void)parse_control_record_key(*(*rec)->key);
      if ((*rec)->value) (void)parse_end_txn_marker(*(*rec)->value);
    }
  }
  if (!summary.ok()) return;

  auto decoded = decode_batch(batch, cap);
  check(decoded.ok());
  check(decoded->records.size() == static_cast<std::size_t>(batch.header().record_count));
  check(seen == batch.header().record_count);

  std::string copy(batch.bytes());
  patch_for_append({copy.data(), copy.size()},
                   {.base_offset = 77, .partition_leader_epoch = 3, .log_append_time_ms = 1234});
  auto patched = batch_view::parse(copy);
  check(patched.ok() && patched->crc_ok());
  check(patched->header().ts_type() == timestamp_type::log_append_time);
  check(validate_batch(copy, options).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::uint8_t mode = data[0];

  if (mode < 0xf0) {
    // Most inputs: a records blob, as in a fetch response or a produce request. With bit 0
    // of the mode set, every whole batch gets a correct CRC first, so that mutations reach
    // the checks behind it instead of all failing on the CRC.
    std::string blob(input);
    auto split = split_batches(blob, partial_batches::allow, 1 << 20);
    if (!split.ok()) return 0;
    if (mode & 1) {
      for (const auto& batch : split->batches) {
        auto at = static_cast<std::size_t>(batch.bytes().data() - blob.data());
        std::uint32_t crc = batch.compute_crc();
        for (int i = 0; i < 4; ++i) {
          blob[at + layout::crc + static_cast<std::size_t>(i)] =
              static_cast<char>(crc >> (24 - 8 * i));
        }
      }
      split = split_batches(blob, partial_batches::allow, 1 << 20);
      check(split.ok());
    }
    for (const auto& batch : split->batches) exercise_batch(batch);
    (void)validate_produce_records(blob);
    return 0;
  }
  if (mode < 0xf5) {
    // A decompressor on its own, with the cap.
    auto codec = static_cast<compression_type>(mode - 0xf0);
    std::string out;
    auto status = decompress_append(codec, input, cap, out);
    check(out.size() <= cap + 1);
    if (status.ok()) check(out.size() <= cap);
    return 0;
  }
  // A bare run of records.
  std::string_view rest = input;
  while (!rest.empty()) {
    auto rec = read_record(rest);
    if (!rec.ok()) break;
    for (const auto& header : rec->headers()) (void)header;
  }
  return 0;
}
