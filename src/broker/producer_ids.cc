#include "broker/producer_ids.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace wharf::broker {

result<std::unique_ptr<producer_id_allocator>> producer_id_allocator::open(
    std::filesystem::path data_dir) {
  std::unique_ptr<producer_id_allocator> allocator(
      new producer_id_allocator(data_dir / "producer_ids"));
  std::ifstream in(allocator->file_);
  std::int64_t recorded = 0;
  if (in && !(in >> recorded)) {
    return make_error(errc::parse_error, "{} is corrupt", allocator->file_.string());
  }
  // Ids below the recorded end may have been used before the restart: start after it.
  allocator->next_ = recorded;
  allocator->block_end_ = recorded;
  return allocator;
}

status producer_id_allocator::reserve_block() {
  auto end = block_end_ + block_size;
  auto tmp = file_;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return make_error(errc::io_error, "cannot write {}", tmp.string());
  auto text = std::to_string(end) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file_.c_str()) != 0) {
    return make_error(errc::io_error, "cannot write {}", file_.string());
  }
  block_end_ = end;
  return {};
}

result<std::int64_t> producer_id_allocator::next() {
  std::lock_guard lock(mutex_);
  if (next_ >= block_end_) WHARF_RETURN_IF_ERROR(reserve_block());
  return next_++;
}

}  // namespace wharf::broker
