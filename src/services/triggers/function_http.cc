// Functions behind an HTTP endpoint: the event is POSTed to spec.url as the Lambda
// Runtime Interface Emulator takes it (/2015-03-31/functions/function/invocations). Each
// concurrency slot keeps its own curl handle, so its connection stays open between
// invocations.
#include <curl/curl.h>

#include <atomic>
#include <chrono>

#include <spdlog/spdlog.h>

#include "services/triggers/function_support.h"

namespace wharf::triggers {

namespace {

void curl_global_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct body_sink {
  std::string body;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* out) {
  auto* sink = static_cast<body_sink*>(out);
  if (sink->body.size() + size * count > max_response_bytes) {
    sink->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* out) {
  std::string_view line(data, size * count);
  constexpr std::string_view name = "x-amz-function-error:";
  if (line.size() >= name.size()) {
    bool match = true;
    for (std::size_t i = 0; i < name.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (match) *static_cast<bool*>(out) = true;
  }
  return size * count;
}

// Aborts a transfer in flight once the function shuts down.
int on_progress(void* stopped, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(stopped)->load() ? 1 : 0;
}

class http_function final : public function {
 public:
  explicit http_function(function_spec spec)
      : spec_(std::move(spec)),
        pool_(spec_.concurrency),
        handles_(static_cast<std::size_t>(spec_.concurrency), nullptr) {}

  ~http_function() override {
    shutdown();
    for (auto* handle : handles_) {
      if (handle) curl_easy_cleanup(handle);
    }
  }

  const function_spec& spec() const override { return spec_; }

  invocation_result invoke(const std::string& event, const std::string& request_id) override {
    auto started = std::chrono::steady_clock::now();
    bool waited = false;
    auto slot = pool_.acquire(&waited);
    if (!slot) {
      return failed_result(invocation_outcome::failed_to_start, "Wharf.FunctionStopped",
                           "the function is shut down");
    }
    slot_lease lease(pool_, *slot);
    auto out = post(handles_[static_cast<std::size_t>(*slot)], event, request_id);
    out.duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    out.throttled = waited;
    return out;
  }

  void shutdown() override {
    stopped_ = true;
    pool_.close();
  }

 private:
  invocation_result post(CURL*& handle, const std::string& event, const std::string& request_id) {
    if (!handle) {
      curl_global_once();
      handle = curl_easy_init();
      if (!handle)
        return failed_result(invocation_outcome::failed_to_start, "Wharf.InternalError",
                             "curl_easy_init failed");
    }
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
    auto add_header = [&](const std::string& line) {
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    };
    add_header("Content-Type: application/json");
    add_header("Expect:");  // no 100-continue round trip for large batches
    if (!request_id.empty()) add_header("Lambda-Runtime-Aws-Request-Id: " + request_id);

    body_sink sink;
    bool function_error_header = false;
    curl_easy_setopt(handle, CURLOPT_URL, spec_.url.c_str());
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, event.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(event.size()));
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(spec_.timeout.count()));
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &function_error_header);
    curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &stopped_);

    auto code = curl_easy_perform(handle);
    // The handle outlives this call: leave no pointers to locals in it.
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
    if (code != CURLE_OK) return transfer_failure(code, sink.too_large);

    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    auto document = parse_error_document(sink.body);
    if (status >= 200 && status < 300 && !function_error_header && !document) {
      invocation_result out;
      out.payload = std::move(sink.body);
      return out;
    }
    invocation_result out;
    out.outcome = invocation_outcome::function_error;
    if (document) {
      out.error_type = document->type;
      out.error_message = document->message;
      out.payload = std::move(sink.body);
    } else {
      out.error_type = fmt::format("HTTP {}", status);
      out.error_message = sink.body.empty() ? out.error_type : last_lines(sink.body, 10, 1024);
      out.payload = error_document(out.error_type, out.error_message);
    }
    return out;
  }

  invocation_result transfer_failure(CURLcode code, bool too_large) {
    std::string detail = curl_easy_strerror(code);
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        return failed_result(invocation_outcome::timed_out, "Sandbox.Timedout",
                             fmt::format("Task timed out after {:.2f} seconds",
                                         std::chrono::duration<double>(spec_.timeout).count()));
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_SSL_CONNECT_ERROR:
        return failed_result(invocation_outcome::failed_to_start, "Wharf.EndpointUnreachable",
                             fmt::format("POST {}: {}", spec_.url, detail));
      case CURLE_ABORTED_BY_CALLBACK:
        return failed_result(invocation_outcome::failed_to_start, "Wharf.FunctionStopped",
                             "the function is shut down");
      default:
        if (too_large)
          return failed_result(invocation_outcome::function_error, "Function.ResponseSizeTooLarge",
                               fmt::format("Response payload size exceeded maximum allowed "
                                           "payload size ({} bytes).",
                                           max_response_bytes));
        return failed_result(invocation_outcome::function_error, "Wharf.EndpointError",
                             fmt::format("POST {}: {}", spec_.url, detail));
    }
  }

  function_spec spec_;
  slot_pool pool_;
  std::vector<CURL*> handles_;  // one per slot, used only by the slot's holder
  std::atomic<bool> stopped_{false};
};

}  // namespace

result<std::unique_ptr<function>> make_http_function(function_spec spec) {
  return std::unique_ptr<function>(std::make_unique<http_function>(std::move(spec)));
}

}  // namespace wharf::triggers
