#include "app/function_cli.h"

#include <strings.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "app/cli_json.h"
#include "http/client.h"

namespace wharf::app {

namespace bj = boost::json;

namespace {

constexpr const char* lambda_path = "/2015-03-31/functions";
constexpr const char* wharf_path = "/wharf/functions";

std::optional<std::string> header_of(const http::header_list& headers, const char* wanted) {
  for (const auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), wanted) == 0) return value;
  }
  return std::nullopt;
}

class function_cli_impl final : public function_cli {
 public:
  explicit function_cli_impl(CLI::App& app) {
    cmd_ = app.add_subcommand("function", "Manage the functions of a running Wharf");
    cmd_->require_subcommand(1);
    cmd_->add_option("--admin-url", admin_url_, "Wharf's admin listener")
        ->envname("WHARF_ADMIN_URL")
        ->capture_default_str();

    list_ = cmd_->add_subcommand("list", "List functions (config file and API)");
    get_ = cmd_->add_subcommand("get", "Show one function");
    get_->add_option("name", name_, "The function's name or ARN")->required();

    create_ = cmd_->add_subcommand(
        "create",
        "Create or replace a function (the config file's shape); runtime and exec "
        "need triggers.api_functions.allow_commands on the server");
    create_->add_option("name", name_, "The function's name")->required();
    create_->add_option("--spec", spec_file_, "A JSON file in the config file's shape");
    create_->add_option("--url", url_, "An HTTP endpoint taking the event as a POST");
    create_->add_option("--runtime", runtime_, "A command speaking the Lambda Runtime API")
        ->expected(1, -1);
    create_->add_option("--exec", exec_, "A command per batch, event on stdin")->expected(1, -1);
    create_->add_option("--handler", handler_, "_HANDLER for a runtime");
    create_->add_option("--timeout", timeout_s_, "Seconds (1 to 900)");
    create_->add_option("--concurrency", concurrency_, "Invocations at once");
    create_->add_option("--memory-mb", memory_mb_, "128 to 10240");
    create_->add_option("--env", env_, "NAME=VALUE (repeatable)");
    create_->add_option("--working-directory", working_directory_, "Where commands run");

    delete_ = cmd_->add_subcommand("delete", "Delete a function created through the API");
    delete_->add_option("name", name_, "The function's name or ARN")->required();

    invoke_ = cmd_->add_subcommand("invoke", "Invoke a function and print its result");
    invoke_->add_option("name", name_, "The function's name or ARN")->required();
    invoke_->add_option("--payload", payload_, "The event (JSON)")->capture_default_str();
    invoke_->add_flag("--event", async_, "Invoke asynchronously (InvocationType Event)");
  }

  int run_if_parsed() override {
    if (!cmd_->parsed()) return -1;
    if (list_->parsed()) return call("GET", wharf_path, {});
    if (get_->parsed()) return call("GET", std::string(lambda_path) + "/" + name_, {});
    if (delete_->parsed()) return call("DELETE", std::string(wharf_path) + "/" + name_, {});
    if (invoke_->parsed()) return invoke();
    if (create_->parsed()) {
      auto body = spec_body();
      if (!body) return 1;
      return call("PUT", std::string(wharf_path) + "/" + name_, bj::serialize(*body));
    }
    return 0;
  }

 private:
  std::optional<bj::object> spec_body() {
    bj::object body;
    if (spec_file_) {
      std::ifstream in(*spec_file_);
      std::stringstream text;
      text << in.rdbuf();
      boost::system::error_code ec;
      auto v = bj::parse(text.str(), ec);
      if (!in || ec || !v.is_object()) {
        std::cerr << "wharf function: " << *spec_file_ << " is not a JSON object\n";
        return std::nullopt;
      }
      body = v.get_object();
    }
    auto list = [](const std::vector<std::string>& items) {
      bj::array a;
      for (const auto& i : items) a.emplace_back(i);
      return a;
    };
    if (url_) body["url"] = *url_;
    if (!runtime_.empty()) body["runtime"] = list(runtime_);
    if (!exec_.empty()) body["exec"] = list(exec_);
    if (handler_) body["handler"] = *handler_;
    if (timeout_s_) body["timeout_s"] = *timeout_s_;
    if (concurrency_) body["concurrency"] = *concurrency_;
    if (memory_mb_) body["memory_mb"] = *memory_mb_;
    if (working_directory_) body["working_directory"] = *working_directory_;
    if (!env_.empty()) {
      bj::object env;
      if (auto* existing = body.if_contains("environment"); existing && existing->is_object()) {
        env = existing->get_object();
      }
      for (const auto& e : env_) {
        auto eq = e.find('=');
        if (eq == std::string::npos || eq == 0) {
          std::cerr << "wharf function: --env " << e << " is not NAME=VALUE\n";
          return std::nullopt;
        }
        env[e.substr(0, eq)] = e.substr(eq + 1);
      }
      body["environment"] = std::move(env);
    }
    return body;
  }

  std::optional<http::response> send(const std::string& method, const std::string& target,
                                     const std::optional<std::string>& body,
                                     http::header_list headers = {}) {
    http::client_request req;
    req.method = method;
    req.url = admin_url_ + target;
    req.headers = std::move(headers);
    req.timeout = std::chrono::minutes(16);  // an invocation may take 15 minutes
    if (body) {
      req.body = *body;
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto answered = http::send(req);
    if (!answered.ok()) {
      std::cerr << "wharf function: " << admin_url_ << ": " << answered.err().message() << "\n";
      return std::nullopt;
    }
    if (answered->status / 100 != 2) {
      std::string type = header_of(answered->headers, "X-Amzn-ErrorType")
                             .value_or("HTTP " + std::to_string(answered->status));
      std::string message = answered->body;
      boost::system::error_code ec;
      auto v = bj::parse(answered->body, ec);
      if (!ec && v.is_object()) {
        for (const char* key : {"message", "Message"}) {
          if (const auto* m = v.get_object().if_contains(key); m && m->is_string()) {
            message = std::string(m->get_string());
          }
        }
      }
      std::cerr << "wharf function: " << type << ": " << message << "\n";
      return std::nullopt;
    }
    return std::move(*answered);
  }

  void print(const std::string& body) {
    if (body.empty()) return;
    boost::system::error_code ec;
    auto v = bj::parse(body, ec);
    if (ec) {
      std::cout << body << "\n";
    } else {
      print_json_indented(std::cout, v);
      std::cout << "\n";
    }
  }

  int call(const std::string& method, const std::string& target,
           const std::optional<std::string>& body) {
    auto answered = send(method, target, body);
    if (!answered) return 1;
    print(answered->body);
    return 0;
  }

  int invoke() {
    http::header_list headers{{"X-Amz-Invocation-Type", async_ ? "Event" : "RequestResponse"}};
    auto answered = send("POST", std::string(lambda_path) + "/" + name_ + "/invocations", payload_,
                         std::move(headers));
    if (!answered) return 1;
    if (header_of(answered->headers, "X-Amz-Function-Error")) {
      std::cerr << "wharf function: the function failed: " << answered->body << "\n";
      return 1;
    }
    print(answered->body);
    return 0;
  }

  CLI::App* cmd_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* delete_ = nullptr;
  CLI::App* invoke_ = nullptr;

  std::string admin_url_ = "http://127.0.0.1:8080";
  std::string name_;
  std::optional<std::string> spec_file_;
  std::optional<std::string> url_;
  std::vector<std::string> runtime_;
  std::vector<std::string> exec_;
  std::optional<std::string> handler_;
  std::optional<int> timeout_s_;
  std::optional<int> concurrency_;
  std::optional<int> memory_mb_;
  std::vector<std::string> env_;
  std::optional<std::string> working_directory_;
  std::string payload_ = "{}";
  bool async_ = false;
};

}  // namespace

function_cli& function_cli::add_to(CLI::App& app) {
  static std::unique_ptr<function_cli_impl> cli;
  cli = std::make_unique<function_cli_impl>(app);
  return *cli;
}

}  // namespace wharf::app
