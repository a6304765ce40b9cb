// A write that fails part-way (a full disk, a file size limit) leaves no torn batch, is
// reported as an error value, and later appends work once the cause is gone.
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "storage/partition_log.h"
#include "storage/tests/test_util.h"

namespace wharf::storage {
namespace {

using namespace testing;

constexpr std::int64_t t0 = 1'700'000'000'000;

std::filesystem::path first_log(const std::filesystem::path& dir) {
  return dir / "00000000000000000000.log";
}

// Appends 4 KiB batches until one fails; returns the error and how many succeeded.
std::pair<std::optional<error>, int> fill_until_failure(partition_log& log) {
  for (int i = 0; i < 1000; ++i) {
    auto r = log.append(make_value_batch(4, t0, 1000));
    if (!r.ok()) return {r.err(), i};
  }
  return {std::nullopt, 1000};
}

void expect_intact(partition_log& log, const std::filesystem::path& dir) {
  EXPECT_EQ(size_of_file(first_log(dir)), log.size_bytes());
  auto all = read_all(log);
  EXPECT_EQ(static_cast<std::int64_t>(all.size()), log.log_end_offset());
  for (std::size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(all[i].offset, static_cast<std::int64_t>(i));
}

class DiskFullOnTmpfs : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_point_ = dir_ / "mnt";
    std::filesystem::create_directories(mount_point_);
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=256k") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
  }

  temp_dir dir_;
  std::filesystem::path mount_point_;
  bool mounted_ = false;
};

TEST_F(DiskFullOnTmpfs, FullDiskFailsTheAppendAndCutsThePartialWrite) {
  auto dir = mount_point_ / "t-0";
  log_config config;
  config.segment_bytes = 1 << 20;  // one segment, larger than the file system
  auto log = open_log(dir, config, t0);
  ASSERT_OK(log->append(make_value_batch(3, t0)));
  // Leave about 40 KiB free.
  struct statvfs fs;
  ASSERT_EQ(::statvfs(mount_point_.c_str(), &fs), 0);
  std::uint64_t free_bytes = fs.f_bavail * fs.f_frsize;
  ASSERT_GT(free_bytes, 40u * 1024);
  {
    std::ofstream filler(mount_point_ / "filler", std::ios::binary);
    std::string block(free_bytes - 40 * 1024, 'f');
    filler.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  ASSERT_TRUE(std::filesystem::exists(mount_point_ / "filler"));

  auto [failure, appended] = fill_until_failure(*log);
  ASSERT_TRUE(failure.has_value());
  EXPECT_GT(appended, 0);
  EXPECT_EQ(failure->code(), errc::io_error);
  EXPECT_NE(failure->message().find("No space left on device"), std::string::npos)
      << failure->message();
  std::int64_t end = log->log_end_offset();
  EXPECT_EQ(end, 3 + 4 * appended);
  expect_intact(*log, dir);
  // Failing again changes nothing.
  EXPECT_FALSE(log->append(make_value_batch(4, t0, 1000)).ok());
  EXPECT_EQ(log->log_end_offset(), end);

  std::filesystem::remove(mount_point_ / "filler");
  auto r = log->append(make_value_batch(4, t0, 1000));
  ASSERT_OK(r);
  EXPECT_EQ(r->base_offset, end);
  expect_intact(*log, dir);
  ASSERT_OK(log->close());
  auto reopened = open_log(dir, config, t0);
  EXPECT_TRUE(reopened->last_recovery().clean_shutdown);
  EXPECT_EQ(reopened->log_end_offset(), end + 4);
  expect_intact(*reopened, dir);
}

TEST(DiskFull, FileSizeLimitFailsTheWriteAndTheLogGoesOn) {
  temp_dir tmp;
  auto dir = tmp / "t-0";
  log_config config;
  config.segment_bytes = 1 << 20;
  auto log = open_log(dir, config, t0);
  ASSERT_OK(log->append(make_value_batch(3, t0)));

  // Writes past RLIMIT_FSIZE fail with EFBIG once SIGXFSZ is ignored.
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit limit = old_limit;
  limit.rlim_cur = log->size_bytes() + 10'000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  auto [failure, appended] = fill_until_failure(*log);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ::signal(SIGXFSZ, old_handler);

  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(appended, 2);  // two 4 KiB batches fit under the limit, the third is cut
  EXPECT_EQ(failure->code(), errc::io_error);
  EXPECT_NE(failure->message().find("File too large"), std::string::npos) << failure->message();
  std::int64_t end = log->log_end_offset();
  EXPECT_EQ(end, 3 + 4 * appended);
  expect_intact(*log, dir);

  auto r = log->append(make_value_batch(4, t0, 1000));
  ASSERT_OK(r);
  EXPECT_EQ(r->base_offset, end);
  expect_intact(*log, dir);
  // A crash now: recovery finds nothing to cut.
  log.reset();
  auto reopened = open_log(dir, config, t0);
  EXPECT_EQ(reopened->last_recovery().bytes_truncated, 0u);
  EXPECT_EQ(reopened->log_end_offset(), end + 4);
}

}  // namespace
}  // namespace wharf::storage
