#include "net/io_runtime.h"

#include <boost/asio/post.hpp>

#include "net/io_runtime_impl.h"

namespace wharf::net {

namespace {
int resolve_thread_count(int requested) {
  if (requested > 0) return requested;
  auto cores = static_cast<int>(std::thread::hardware_concurrency());
  return cores > 0 ? cores : 1;
}
}  // namespace

io_runtime::io_runtime(int threads)
    : impl_(std::make_unique<impl>(resolve_thread_count(threads))) {}

io_runtime::~io_runtime() { stop(); }

void io_runtime::start() {
  impl_->work =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          impl_->context.get_executor());
  for (int i = 0; i < impl_->thread_count; ++i) {
    impl_->threads.emplace_back([this] { impl_->context.run(); });
  }
}

void io_runtime::stop() {
  impl_->work.reset();
  impl_->context.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

int io_runtime::thread_count() const { return impl_->thread_count; }

void io_runtime::post(std::function<void()> fn) {
  boost::asio::post(impl_->context, std::move(fn));
}

}  // namespace wharf::net
