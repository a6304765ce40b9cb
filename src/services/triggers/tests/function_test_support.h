// Helpers for the function tests: a scratch directory for scripts and a logger sink that
// keeps what a function wrote.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>

#include "base/logging.h"

namespace wharf::triggers::testing {

class scratch_dir {
 public:
  scratch_dir() {
    char pattern[] = "/tmp/wharf-function-test-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

  // Writes an executable file and returns its path.
  std::string write(const std::string& name, const std::string& text) {
    auto file = path_ + "/" + name;
    std::ofstream(file) << text;
    ::chmod(file.c_str(), 0755);
    return file;
  }

 private:
  std::string path_;
};

// Collects the lines logged by "function.<name>".
class captured_log {
 public:
  explicit captured_log(const std::string& function_name) {
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    sink_->set_pattern("%v");
    logging::get("function." + function_name)->sinks().push_back(sink_);
  }
  std::string text() {
    sink_->flush();
    std::lock_guard lock(mutex_);
    return stream_.str();
  }

 private:
  std::mutex mutex_;
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace wharf::triggers::testing
