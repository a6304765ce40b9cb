// Allocates producer ids that stay unique across restarts: ids are handed out from blocks
// whose end is recorded (fsynced) in <data_dir>/producer_ids before any id of the block is
// used, as Kafka's controller does with its producer id blocks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>

#include "base/result.h"

namespace wharf::broker {

class producer_id_allocator {
 public:
  static result<std::unique_ptr<producer_id_allocator>> open(std::filesystem::path data_dir);
  result<std::int64_t> next();

 private:
  explicit producer_id_allocator(std::filesystem::path file) : file_(std::move(file)) {}
  status reserve_block();

  static constexpr std::int64_t block_size = 1000;
  std::filesystem::path file_;
  std::mutex mutex_;
  std::int64_t next_ = 0;
  std::int64_t block_end_ = 0;  // exclusive; recorded on disk
};

}  // namespace wharf::broker
