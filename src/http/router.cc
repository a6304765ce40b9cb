#include "http/router.h"

#include <algorithm>
#include <mutex>

namespace wharf::http {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.push_back(path.substr(start, end - start));
    start = end;
  }
  return segments;
}

router::router()
    : error_formatter_(
          [](int status, std::string_view message) { return response::error(status, message); }) {}

void router::add(std::string method, std::string pattern, sync_handler handler) {
  add_async(
      std::move(method), std::move(pattern),
      [handler = std::move(handler)](request&& req, responder respond) { respond(handler(req)); });
}

void router::add_async(std::string method, std::string pattern, async_handler handler) {
  route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  insert(std::move(r));
}

namespace {

// Runs a streaming handler over a body that is already complete, collecting what it
// writes into one response (for servers and tests that hold whole requests).
class collected_stream final : public body_stream {
 public:
  explicit collected_stream(responder respond) : respond_(std::move(respond)) {}

  void respond(response res) override {
    std::lock_guard lock(mutex_);
    if (done_) return;
    done_ = true;
    respond_(std::move(res));
  }
  void begin(int status, header_list headers) override {
    std::lock_guard lock(mutex_);
    if (begun_ || done_) return;
    begun_ = true;
    collected_.status = status;
    collected_.headers = std::move(headers);
  }
  void write(std::string piece) override {
    std::lock_guard lock(mutex_);
    if (!done_) collected_.body += piece;
  }
  void end() override {
    std::lock_guard lock(mutex_);
    if (done_) return;
    done_ = true;
    respond_(std::move(collected_));
  }
  void pause_reading() override {}
  void resume_reading() override {}

 private:
  std::mutex mutex_;
  responder respond_;
  response collected_;
  bool begun_ = false;
  bool done_ = false;
};

}  // namespace

void router::add_stream(std::string method, std::string pattern, stream_handler handler) {
  route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.streaming = std::move(handler);
  r.handler = [streaming = r.streaming](request&& req, responder respond) {
    auto body = std::move(req.body);
    req.body.clear();
    auto consumer =
        streaming(std::move(req), std::make_shared<collected_stream>(std::move(respond)));
    if (!body.empty() && consumer.on_data) consumer.on_data(body);
    if (consumer.on_end) consumer.on_end();
  };
  insert(std::move(r));
}

void router::insert(route r) {
  for (auto seg : split_path(r.pattern)) r.segments.emplace_back(seg);
  routes_.push_back(std::move(r));
  // Literal segments sort before parameters so "/subjects/latest" beats "/subjects/{id}".
  std::stable_sort(routes_.begin(), routes_.end(), [](const route& a, const route& b) {
    auto n = std::min(a.segments.size(), b.segments.size());
    for (std::size_t i = 0; i < n; ++i) {
      bool a_param = a.segments[i].front() == '{';
      bool b_param = b.segments[i].front() == '{';
      if (a_param != b_param) return !a_param;
    }
    return false;
  });
}

const stream_handler* router::find_stream(request& req) const {
  auto segments = split_path(req.path);
  for (const auto& r : routes_) {
    if (r.method != req.method || !match(r, segments, req)) continue;
    if (!r.streaming) return nullptr;
    req.route = r.pattern;
    return &r.streaming;
  }
  return nullptr;
}

std::vector<router::route_info> router::list() const {
  std::vector<route_info> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.push_back({r.method, r.pattern});
  return out;
}

bool router::match(const route& r, const std::vector<std::string_view>& path_segments,
                   request& req) {
  std::map<std::string, std::string> params;
  std::size_t i = 0;
  for (; i < r.segments.size(); ++i) {
    const auto& seg = r.segments[i];
    bool is_param = seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
    if (is_param && seg.size() > 5 && seg.compare(seg.size() - 4, 4, "...}") == 0) {
      // A rest parameter: needs at least one segment and takes them all.
      if (i >= path_segments.size()) return false;
      std::string rest;
      for (std::size_t j = i; j < path_segments.size(); ++j) {
        if (j > i) rest += '/';
        rest += path_segments[j];
      }
      params[seg.substr(1, seg.size() - 5)] = std::move(rest);
      req.path_params = std::move(params);
      return true;
    }
    if (i >= path_segments.size()) return false;
    if (is_param) {
      // The server leaves a segment holding an encoded "/" (%2F) encoded, so that it
      // stays one segment: a parameter gets it decoded ("a%2Fb.proto" is "a/b.proto").
      auto segment = path_segments[i];
      params[seg.substr(1, seg.size() - 2)] = segment.find('%') == std::string_view::npos
                                                  ? std::string(segment)
                                                  : percent_decode(segment);
    } else if (seg != path_segments[i]) {
      return false;
    }
  }
  if (i != path_segments.size()) return false;
  req.path_params = std::move(params);
  return true;
}

std::string router::dispatch(request&& req, responder respond) const {
  if (!middleware_) return route_request(std::move(req), std::move(respond));
  std::string pattern = "unmatched";
  middleware_(std::move(req), std::move(respond), [this, &pattern](request&& r, responder next) {
    pattern = route_request(std::move(r), std::move(next));
  });
  return pattern;
}

std::string router::route_request(request&& req, responder respond) const {
  auto segments = split_path(req.path);
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (!match(r, segments, req)) continue;
    bool method_matches = r.method == req.method || (r.method == "GET" && req.method == "HEAD");
    if (!method_matches) {
      allowed.push_back(r.method);
      continue;
    }
    req.route = r.pattern;
    r.handler(std::move(req), std::move(respond));
    return r.pattern;
  }
  if (!allowed.empty()) {
    auto res = error_formatter_(405, "method " + req.method + " is not allowed on " + req.path);
    std::string allow;
    for (const auto& m : allowed) {
      if (allow.find(m) != std::string::npos) continue;
      if (!allow.empty()) allow += ", ";
      allow += m;
    }
    res.set_header("Allow", allow);
    respond(std::move(res));
    return "unmatched";
  }
  respond(error_formatter_(404, "no such endpoint: " + req.method + " " + req.path));
  return "unmatched";
}

}  // namespace wharf::http
