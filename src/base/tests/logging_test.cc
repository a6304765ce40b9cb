#include "base/logging.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace wharf::logging {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Logging, RejectsUnknownLevel) { EXPECT_FALSE(configure({.level = "loud"})); }

TEST(Logging, JsonLinesToFileWithEscaping) {
  auto dir = std::filesystem::temp_directory_path() / ("wharf-log-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "wharf.log";
  ASSERT_TRUE(configure({.level = "debug", .format = log_format::json, .file = file.string()}));
  get("unit")->info("hello \"world\"\n");
  get("unit")->trace("not written");
  flush_all();
  auto text = read_file(file);
  EXPECT_NE(text.find(R"("component":"unit")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("msg":"hello \"world\"\n")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("level":"info")"), std::string::npos) << text;
  EXPECT_EQ(text.find("not written"), std::string::npos);
  ASSERT_TRUE(configure({}));
  std::filesystem::remove_all(dir);
}

TEST(Logging, RotatesBySizeAndKeepsCount) {
  auto dir = std::filesystem::temp_directory_path() / ("wharf-rot-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "w.log";
  ASSERT_TRUE(
      configure({.level = "info", .file = file.string(), .max_file_size = 2048, .max_files = 2}));
  for (int i = 0; i < 200; ++i) get("rot")->info("line {} {}", i, std::string(50, 'x'));
  flush_all();
  int files = 0;
  for (auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_LE(std::filesystem::file_size(entry), 4096u);
  }
  EXPECT_EQ(files, 3);  // the current file and two rotated ones
  ASSERT_TRUE(configure({}));
  std::filesystem::remove_all(dir);
}

TEST(Logging, UnwritableFileIsAnError) {
  EXPECT_FALSE(configure({.file = "/proc/definitely/not/here.log"}));
}

}  // namespace
}  // namespace wharf::logging
