// Internal: the small per-partition state file "log-state.checkpoint" (what Kafka keeps in
// its per-directory log-start-offset, recovery-point and cleaner-offset checkpoints), and
// the clean-shutdown marker. The file is text, one "name value" line each after a version
// line, and is replaced atomically (write, fsync, rename, fsync the directory).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "base/result.h"

namespace wharf::storage::detail {

inline constexpr const char* checkpoint_file_name = "log-state.checkpoint";
inline constexpr const char* clean_shutdown_file_name = ".clean-shutdown";

struct log_checkpoint {
  // The first offset readers may see (DeleteRecords, retention).
  std::int64_t log_start_offset = 0;
  // Everything below this offset has been fsynced; recovery scans from its segment on.
  std::int64_t recovery_point = 0;
  // Compaction has cleaned everything below this offset ("first dirty offset").
  std::int64_t cleaner_offset = 0;
};

// nullopt when the file does not exist; parse_error when it is unreadable.
result<std::optional<log_checkpoint>> read_checkpoint(const std::filesystem::path& dir);
status write_checkpoint(const std::filesystem::path& dir, const log_checkpoint& checkpoint);

}  // namespace wharf::storage::detail
