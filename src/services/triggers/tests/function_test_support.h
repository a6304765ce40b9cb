// Helpers for the function tests: a scratch directory for scripts and a logger sink that
// keeps what a function wrote.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

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

// Collects the lines logged by "function.<name>" while it lives. The logger is global, so
// the sink leaves it again at destruction (a later test logging under the same name would
// otherwise write into this object's freed memory).
class captured_log {
 public:
  explicit captured_log(const std::string& function_name)
      : logger_(logging::get("function." + function_name)), sink_(std::make_shared<text_sink>()) {
    sink_->set_pattern("%v");
    logger_->sinks().push_back(sink_);
  }
  ~captured_log() {
    auto& sinks = logger_->sinks();
    std::erase(sinks, std::static_pointer_cast<spdlog::sinks::sink>(sink_));
  }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  std::string text() { return sink_->text(); }

 private:
  // Appends formatted lines to a string, read under the same mutex they are written under.
  class text_sink final : public spdlog::sinks::base_sink<std::mutex> {
   public:
    std::string text() {
      std::lock_guard lock(mutex_);
      return text_;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      spdlog::memory_buf_t formatted;
      formatter_->format(msg, formatted);
      text_.append(formatted.data(), formatted.size());
    }
    void flush_() override {}

   private:
    std::string text_;
  };

  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<text_sink> sink_;
};

}  // namespace wharf::triggers::testing
