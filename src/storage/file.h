// Internal: POSIX file and directory operations of the log, with errno turned into error
// values. A file_handle is shared (std::shared_ptr) between a segment and every read in
// flight, so a segment deleted or replaced while a read is in progress keeps its
// descriptor (and the unlinked inode) until the last reader lets go.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wharf::storage::detail {

// An error value for a failed system call: "write /data/t-0/000.log: No space left on device".
error errno_error(std::string_view what, const std::filesystem::path& path, int err);

// A read-only shared mapping of a file's first length() bytes, which may run past the end
// of the file: pages there become readable as the file grows. Reads through it see what
// write() put in the page cache. Lives while any reader holds it, even after the file is
// unlinked.
class file_mapping {
 public:
  file_mapping(const char* data, std::size_t length) : data_(data), length_(length) {}
  ~file_mapping();
  file_mapping(const file_mapping&) = delete;
  file_mapping& operator=(const file_mapping&) = delete;

  const char* data() const { return data_; }
  std::size_t length() const { return length_; }

 private:
  const char* data_;
  std::size_t length_;
};

class file_handle {
 public:
  enum class mode { read_only, read_write, open_or_create, create_new, create_or_truncate };

  static result<std::shared_ptr<file_handle>> open(const std::filesystem::path& path, mode m);

  ~file_handle();
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

  result<std::uint64_t> size() const;
  // Reads exactly size bytes at position; fewer bytes available is an io_error.
  status read_exact(std::uint64_t position, char* out, std::size_t size) const;
  // Reads up to size bytes; returns how many were read (less only at end of file).
  result<std::size_t> read_some(std::uint64_t position, char* out, std::size_t size) const;
  // Writes all of data at position, retrying short writes. On error some bytes may have
  // been written: the caller truncates them away.
  status write_all(std::uint64_t position, std::string_view data);
  status truncate(std::uint64_t size);
  // fdatasync: the data and the size, not the times.
  status sync();
  // Last modification time in milliseconds since the epoch.
  result<std::int64_t> modified_ms() const;
  // A mapping that covers [0, end): the last one made if it is large enough, else a new
  // one with room to grow. Only bytes the file already holds may be read through it.
  result<std::shared_ptr<const file_mapping>> map_through(std::uint64_t end) const;

 private:
  file_handle(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}

  int fd_;
  std::filesystem::path path_;
  mutable std::mutex mapping_mutex_;
  mutable std::shared_ptr<const file_mapping> mapping_;
};

// fsync of a directory, so that file creations, renames and unlinks in it are durable.
status sync_directory(const std::filesystem::path& dir);
status rename_file(const std::filesystem::path& from, const std::filesystem::path& to);
// Unlinks a file; a file already gone is not an error.
status remove_file(const std::filesystem::path& path);
status create_directories(const std::filesystem::path& dir);
result<std::vector<std::string>> list_directory(const std::filesystem::path& dir);
bool file_exists(const std::filesystem::path& path);

// Writes a whole small file through "<path>.tmp", fsync and rename, then fsyncs the
// directory: after a crash the file holds either the old or the new contents.
status write_file_atomically(const std::filesystem::path& path, std::string_view contents);
// Reads a whole small file.
result<std::string> read_small_file(const std::filesystem::path& path);

}  // namespace wharf::storage::detail
