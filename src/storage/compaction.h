// Internal: the log cleaner of cleanup.policy=compact, run by partition_log::compact() on a
// snapshot of the segment list, outside the append lock. It writes each group of cleaned
// segments to "<base>.log.cleaned" and hands it to a swap callback that commits it under
// the append lock (see partition_log.cc and docs/storage.md for the crash-safety steps).
//
// The record-level work (decoding records, re-encoding the survivors into a batch with the
// original base offset and offset deltas) uses wharf::kafka_records and stays in this file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/result.h"
#include "storage/log_config.h"
#include "storage/partition_log.h"
#include "storage/segment.h"

namespace wharf::storage::detail {

inline constexpr std::string_view cleaned_suffix = ".cleaned";
inline constexpr std::string_view swap_suffix = ".swap";

struct cleaner_input {
  std::filesystem::path dir;
  // Every segment, oldest first; the last one is active and never cleaned.
  std::vector<std::shared_ptr<segment>> segments;
  std::int64_t log_start_offset = 0;
  std::int64_t log_end_offset = 0;
  // The cleaner checkpoint: offsets below were cleaned by an earlier run.
  std::int64_t first_dirty_offset = 0;
  log_config config;
  std::int64_t now_ms = 0;
  compaction_options options;
};

// Commits one cleaned group in place of `group`. Returns false (and discards the output)
// when the partition changed under the cleaner, e.g. retention deleted part of the group.
using swap_cleaned_fn = std::function<result<bool>(
    const std::vector<std::shared_ptr<segment>>& group, std::shared_ptr<segment> cleaned)>;

result<compaction_result> run_compaction(const cleaner_input& input, const swap_cleaned_fn& swap);

// Test hook: makes run_compaction stop (as a crash would) after writing the first group's
// ".cleaned" file, without swapping. Not for production code.
void set_compaction_stop_after_write_for_testing(bool stop);

}  // namespace wharf::storage::detail
