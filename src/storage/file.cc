// POSIX file and directory operations with errors as values (see file.h).
#include "storage/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace wharf::storage::detail {

error errno_error(std::string_view what, const std::filesystem::path& path, int err) {
  return make_error(errc::io_error, "{} {}: {}", what, path.string(), std::strerror(err));
}

result<std::shared_ptr<file_handle>> file_handle::open(const std::filesystem::path& path, mode m) {
  int flags = O_CLOEXEC;
  switch (m) {
    case mode::read_only: flags |= O_RDONLY; break;
    case mode::read_write: flags |= O_RDWR; break;
    case mode::open_or_create: flags |= O_RDWR | O_CREAT; break;
    case mode::create_new: flags |= O_RDWR | O_CREAT | O_EXCL; break;
    case mode::create_or_truncate: flags |= O_RDWR | O_CREAT | O_TRUNC; break;
  }
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_error("open", path, errno);
  return std::shared_ptr<file_handle>(new file_handle(fd, path));
}

file_handle::~file_handle() { ::close(fd_); }

file_mapping::~file_mapping() { ::munmap(const_cast<char*>(data_), length_); }

result<std::shared_ptr<const file_mapping>> file_handle::map_through(std::uint64_t end) const {
  std::lock_guard lock(mapping_mutex_);
  if (mapping_ && mapping_->length() >= end) return mapping_;
  // Address space is cheap and a remap costs a system call: leave room to grow twice over.
  constexpr std::uint64_t min_length = 64ull << 20;
  std::uint64_t length = std::max(min_length, end * 2);
  auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  length = (length + page - 1) / page * page;
  void* data = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd_, 0);
  if (data == MAP_FAILED) return errno_error("mmap", path_, errno);
  mapping_ = std::make_shared<const file_mapping>(static_cast<const char*>(data), length);
  return mapping_;
}

result<std::uint64_t> file_handle::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return errno_error("stat", path_, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

result<std::int64_t> file_handle::modified_ms() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return errno_error("stat", path_, errno);
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

result<std::size_t> file_handle::read_some(std::uint64_t position, char* out,
                                           std::size_t size) const {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd_, out + done, size - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", path_, errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

status file_handle::read_exact(std::uint64_t position, char* out, std::size_t size) const {
  WHARF_ASSIGN_OR_RETURN(std::size_t n, read_some(position, out, size));
  if (n != size) {
    return make_error(errc::io_error, "read {}: {} bytes at {} but the file ends after {}",
                      path_.string(), size, position, position + n);
  }
  return {};
}

status file_handle::write_all(std::uint64_t position, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", path_, errno);
    }
    if (n == 0) return make_error(errc::io_error, "write {}: no progress", path_.string());
    done += static_cast<std::size_t>(n);
  }
  return {};
}

status file_handle::truncate(std::uint64_t size) {
  int rc;
  do {
    rc = ::ftruncate(fd_, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return errno_error("truncate", path_, errno);
  return {};
}

status file_handle::sync() {
  if (::fdatasync(fd_) != 0) return errno_error("fdatasync", path_, errno);
  return {};
}

status sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errno_error("fsync directory", dir, err);
  return {};
}

status rename_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return make_error(errc::io_error, "rename {} to {}: {}", from.string(), to.string(),
                      std::strerror(errno));
  }
  return {};
}

status remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("unlink", path, errno);
  return {};
}

status create_directories(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(errc::io_error, "create directory {}: {}", dir.string(), ec.message());
  }
  return {};
}

result<std::vector<std::string>> list_directory(const std::filesystem::path& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return errno_error("list directory", dir, errno);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* entry = ::readdir(d)) {
    std::string_view name(entry->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return errno_error("list directory", dir, err);
  return names;
}

bool file_exists(const std::filesystem::path& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

status write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  auto tmp = path;
  tmp += ".tmp";
  WHARF_ASSIGN_OR_RETURN(auto file, file_handle::open(tmp, file_handle::mode::create_or_truncate));
  WHARF_RETURN_IF_ERROR(file->write_all(0, contents));
  WHARF_RETURN_IF_ERROR(file->sync());
  file.reset();
  WHARF_RETURN_IF_ERROR(rename_file(tmp, path));
  return sync_directory(path.parent_path());
}

result<std::string> read_small_file(const std::filesystem::path& path) {
  WHARF_ASSIGN_OR_RETURN(auto file, file_handle::open(path, file_handle::mode::read_only));
  WHARF_ASSIGN_OR_RETURN(std::uint64_t size, file->size());
  if (size > (1u << 20)) {
    return make_error(errc::parse_error, "{} is {} bytes, too large", path.string(), size);
  }
  std::string out(size, '\0');
  WHARF_RETURN_IF_ERROR(file->read_exact(0, out.data(), out.size()));
  return out;
}

}  // namespace wharf::storage::detail
