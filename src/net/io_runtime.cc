#include "net/io_runtime.h"

#include <atomic>

#include <atomic>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

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

namespace {
class asio_timer final : public io_runtime::timer, public std::enable_shared_from_this<asio_timer> {
 public:
  asio_timer(boost::asio::io_context& context, std::function<void()> fn)
      : timer_(context), fn_(std::move(fn)) {}

  void start(std::chrono::milliseconds delay) {
    timer_.expires_after(delay);
    // fn is released with the wait handler even when the handler never runs (stop() drops
    // pending handlers): what fn captured must not outlive the runtime, e.g. a parked
    // fetch whose waiter holds this timer and is held by fn (a cycle that would leak).
    std::shared_ptr<void> release(nullptr,
                                  [self = shared_from_this()](void*) { self->fn_ = nullptr; });
    timer_.async_wait(
        [self = shared_from_this(), release = std::move(release)](boost::system::error_code) {
          // Whoever flips fired_ first wins: the expiry runs fn, a cancel prevents it.
          if (!self->fired_.exchange(true)) self->fn_();
          self->fn_ = nullptr;
        });
  }

  bool cancel() override {
    if (fired_.exchange(true)) return false;
    boost::asio::post(timer_.get_executor(),
                      [self = shared_from_this()] { self->timer_.cancel(); });
    return true;
  }

 private:
  boost::asio::steady_timer timer_;
  std::function<void()> fn_;
  std::atomic<bool> fired_{false};
};
}  // namespace

std::shared_ptr<io_runtime::timer> io_runtime::run_after(std::chrono::milliseconds delay,
                                                         std::function<void()> fn) {
  auto t = std::make_shared<asio_timer>(impl_->context, std::move(fn));
  t->start(delay);
  return t;
}

}  // namespace wharf::net
