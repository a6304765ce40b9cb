// function_invoke_tool: runs one function from outside Wharf, for integration tests and
// quick measurements. Reads a function spec as JSON and invokes it with an event (or one
// event per line), printing each result as a JSON line (with --threads T, T invocations
// at once); --repeat N measures invocations per second instead.
//
//   function_invoke_tool --spec fn.json [--event FILE|-] [--events FILE] [--request-id ID]
//                        [--threads T] [--repeat N] [--prestart] [--log-level LEVEL]
//                        [--noop-endpoint]
//
// --noop-endpoint serves a function that returns "null" on Wharf's own HTTP server in this
// process and points the spec's url at it (a quick measurement of the HTTP kind's cost).
//
// Spec fields: name, url | runtime [..] | exec [..], handler, timeout_ms, concurrency,
// memory_mb, environment {..}, working_directory.
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "base/logging.h"
#include "http/message.h"
#include "http/router.h"
#include "http/server.h"
#include "net/io_runtime.h"
#include "services/triggers/functions.h"

namespace json = boost::json;
using namespace wharf;

namespace {

std::optional<std::string> read_input(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> string_list(const json::value* value) {
  std::vector<std::string> out;
  if (!value || !value->is_array()) return out;
  for (const auto& item : value->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

result<triggers::function_spec> parse_spec(const std::string& text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) return make_error(errc::parse_error, "spec is not a JSON object");
  const auto& object = value.get_object();
  triggers::function_spec spec;
  auto text_field = [&](const char* key) -> std::string {
    const auto* field = object.if_contains(key);
    return field && field->is_string() ? std::string(field->get_string()) : std::string();
  };
  auto int_field = [&](const char* key, std::int64_t fallback) -> std::int64_t {
    const auto* field = object.if_contains(key);
    return field && field->is_int64() ? field->get_int64() : fallback;
  };
  spec.name = text_field("name");
  spec.url = text_field("url");
  spec.runtime = string_list(object.if_contains("runtime"));
  spec.exec = string_list(object.if_contains("exec"));
  spec.handler = text_field("handler");
  spec.working_directory = text_field("working_directory");
  spec.timeout = std::chrono::milliseconds(int_field("timeout_ms", spec.timeout.count()));
  spec.concurrency = static_cast<int>(int_field("concurrency", spec.concurrency));
  spec.memory_mb = static_cast<int>(int_field("memory_mb", spec.memory_mb));
  if (const auto* env = object.if_contains("environment"); env && env->is_object()) {
    for (const auto& entry : env->get_object()) {
      if (entry.value().is_string())
        spec.environment[std::string(entry.key())] = std::string(entry.value().get_string());
    }
  }
  return spec;
}

const char* outcome_name(triggers::invocation_outcome outcome) {
  switch (outcome) {
    case triggers::invocation_outcome::success: return "success";
    case triggers::invocation_outcome::function_error: return "function_error";
    case triggers::invocation_outcome::timed_out: return "timed_out";
    case triggers::invocation_outcome::failed_to_start: return "failed_to_start";
  }
  return "unknown";
}

std::string result_json(const triggers::invocation_result& r) {
  return fmt::format(
      R"({{"outcome":"{}","payload":"{}","error_type":"{}","error_message":"{}","duration_us":{}}})",
      outcome_name(r.outcome), http::json_escape(r.payload), http::json_escape(r.error_type),
      http::json_escape(r.error_message), r.duration.count());
}

int usage(const char* message) {
  std::cerr << "function_invoke_tool: " << message << "\n"
            << "usage: function_invoke_tool --spec FILE [--event FILE|-] [--events FILE]\n"
               "       [--request-id ID] [--repeat N] [--threads T] [--prestart]\n"
               "       [--log-level LEVEL]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> options;
  bool prestart = false;
  bool noop_endpoint = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--prestart") {
      prestart = true;
    } else if (arg == "--noop-endpoint") {
      noop_endpoint = true;
    } else if (arg.starts_with("--") && i + 1 < argc) {
      options[arg.substr(2)] = argv[++i];
    } else {
      return usage(("unexpected argument " + arg).c_str());
    }
  }
  if (!options.contains("spec")) return usage("--spec is required");

  logging::options log_options;
  log_options.level = options.contains("log-level") ? options["log-level"] : "info";
  if (auto configured = logging::configure(log_options); !configured.ok())
    return usage(configured.err().message().c_str());

  auto spec_text = read_input(options["spec"]);
  if (!spec_text) return usage("cannot read the spec");
  auto spec = parse_spec(*spec_text);
  if (!spec) return usage(spec.err().message().c_str());

  std::vector<std::string> events;
  if (options.contains("events")) {
    auto text = read_input(options["events"]);
    if (!text) return usage("cannot read --events");
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) events.push_back(line);
    }
  } else {
    auto text = read_input(options.contains("event") ? options["event"] : "-");
    if (!text) return usage("cannot read --event");
    events.push_back(*text);
  }

  net::io_runtime io(1);
  io.start();
  std::unique_ptr<http::server> endpoint;
  if (noop_endpoint) {
    auto routes = std::make_shared<http::router>();
    routes->add("POST", "/2015-03-31/functions/function/invocations",
                [](const http::request&) { return http::response::json(200, "null"); });
    http::server_options endpoint_options;
    endpoint_options.name = "noop-endpoint";
    auto started = http::server::start(io, endpoint_options, routes, nullptr);
    if (!started) return usage(started.err().message().c_str());
    endpoint = std::move(*started);
    spec->url = endpoint->url() + "/2015-03-31/functions/function/invocations";
    spec->runtime.clear();
    spec->exec.clear();
  }
  auto made = triggers::make_function(std::move(*spec), io, prestart);
  if (!made) {
    std::cerr << "function_invoke_tool: " << made.err().message() << "\n";
    io.stop();
    return 1;
  }
  auto& fn = **made;
  std::string request_prefix =
      options.contains("request-id") ? options["request-id"] : std::string("req");
  int exit_code = 0;

  if (options.contains("repeat")) {
    // Throughput: invocations spread over threads, the events taken in turn.
    long repeat = std::stol(options["repeat"]);
    int threads = options.contains("threads") ? std::stoi(options["threads"]) : 1;
    std::atomic<long> next{0};
    std::atomic<long> failures{0};
    auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        for (long n; (n = next.fetch_add(1)) < repeat;) {
          auto r = fn.invoke(events[static_cast<std::size_t>(n) % events.size()],
                             fmt::format("{}-{}", request_prefix, n));
          if (!r.ok()) failures++;
        }
      });
    }
    for (auto& w : workers) w.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << fmt::format(
                     R"({{"invocations":{},"failures":{},"seconds":{:.3f},"per_second":{:.0f}}})",
                     repeat, failures.load(), seconds, static_cast<double>(repeat) / seconds)
              << std::endl;
  } else {
    // One invocation per event; with --threads, that many at once (results still in the
    // events' order).
    int threads = options.contains("threads") ? std::stoi(options["threads"]) : 1;
    std::vector<std::string> lines(events.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < events.size();) {
        auto id = events.size() == 1 ? request_prefix : fmt::format("{}-{}", request_prefix, i);
        lines[i] = result_json(fn.invoke(events[i], id));
      }
    };
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) workers.emplace_back(work);
    work();
    for (auto& w : workers) w.join();
    for (const auto& line : lines) std::cout << line << std::endl;
  }
  fn.shutdown();
  made->reset();
  endpoint.reset();
  io.stop();
  logging::flush_all();
  return exit_code;
}
