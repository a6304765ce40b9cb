// Internal to net/ and http/: the Asio objects behind io_runtime.
#pragma once

#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "net/io_runtime.h"

namespace wharf::net {

struct io_runtime::impl {
  explicit impl(int threads) : context(threads), thread_count(threads) {}

  boost::asio::io_context context;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  int thread_count;
};

}  // namespace wharf::net
