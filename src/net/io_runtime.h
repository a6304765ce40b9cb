// The pool of I/O threads that every network server of the process shares. Asio lives
// behind this small header so that code outside net/ and http/ compiles quickly.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace wharf::net {

class io_runtime {
 public:
  // threads: 0 means one per CPU core.
  explicit io_runtime(int threads = 0);
  ~io_runtime();
  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  void start();
  // Stops the event loop (pending handlers are dropped) and joins the threads.
  void stop();
  int thread_count() const;

  // Runs fn on an I/O thread.
  void post(std::function<void()> fn);

  // A one-shot timer: fn runs on an I/O thread after delay unless cancelled first.
  // Dropping the handle does not cancel it.
  class timer {
   public:
    virtual ~timer() = default;
    // Returns true if fn had not run yet and now never will.
    virtual bool cancel() = 0;
  };
  std::shared_ptr<timer> run_after(std::chrono::milliseconds delay, std::function<void()> fn);

  struct impl;
  impl& internals() { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace wharf::net
