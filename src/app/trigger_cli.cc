#include "app/trigger_cli.h"

#include <strings.h>

#include <iostream>
#include <memory>
#include <optional>
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

constexpr const char* mappings_path = "/2015-03-31/event-source-mappings";

class trigger_cli_impl final : public trigger_cli {
 public:
  explicit trigger_cli_impl(CLI::App& app) {
    cmd_ = app.add_subcommand("trigger",
                              "Manage Lambda-style event source mappings of a running Wharf");
    cmd_->require_subcommand(1);
    cmd_->add_option("--admin-url", admin_url_, "Wharf's admin listener")
        ->envname("WHARF_ADMIN_URL")
        ->capture_default_str();

    list_ = cmd_->add_subcommand("list", "List event source mappings");
    list_->add_option("--function", function_, "Only those of this function");

    get_ = cmd_->add_subcommand("get", "Show one event source mapping");
    get_->add_option("uuid", uuid_, "The mapping's UUID")->required();

    create_ = cmd_->add_subcommand("create", "Create an event source mapping");
    create_->add_option("--function", function_, "Function to invoke")->required();
    create_->add_option("--topic", topic_, "Topic to read")->required();
    add_settings(create_);
    create_->add_option("--starting-position", starting_position_,
                        "LATEST, TRIM_HORIZON or AT_TIMESTAMP");
    create_->add_option("--starting-timestamp", starting_timestamp_,
                        "Epoch seconds, with AT_TIMESTAMP");
    create_->add_option("--event-source-arn", event_source_arn_,
                        "An MSK-style cluster ARN (default: Wharf's own Kafka)");
    create_->add_option("--bootstrap-servers", bootstrap_servers_,
                        "A self-managed Kafka source: host:port (repeatable)");
    create_->add_option("--consumer-group", consumer_group_, "Consumer group id (default: UUID)");

    update_ = cmd_->add_subcommand("update", "Change an event source mapping");
    update_->add_option("uuid", uuid_, "The mapping's UUID")->required();
    update_->add_option("--function", function_, "Function to invoke");
    add_settings(update_);

    enable_ = cmd_->add_subcommand("enable", "Resume an event source mapping");
    enable_->add_option("uuid", uuid_, "The mapping's UUID")->required();
    disable_ = cmd_->add_subcommand("disable", "Pause an event source mapping");
    disable_->add_option("uuid", uuid_, "The mapping's UUID")->required();
    delete_ = cmd_->add_subcommand("delete", "Delete an event source mapping");
    delete_->add_option("uuid", uuid_, "The mapping's UUID")->required();
  }

  int run_if_parsed() override {
    if (!cmd_->parsed()) return -1;
    if (list_->parsed()) {
      std::string query = function_ ? "?FunctionName=" + *function_ : "";
      return call("GET", std::string(mappings_path) + query, {});
    }
    if (get_->parsed()) return call("GET", path(), {});
    if (delete_->parsed()) return call("DELETE", path(), {});
    if (enable_->parsed() || disable_->parsed()) {
      return call("PUT", path(), bj::object{{"Enabled", enable_->parsed()}});
    }
    if (create_->parsed()) {
      bj::object body{{"FunctionName", *function_}, {"Topics", bj::array{bj::string(topic_)}}};
      if (!bootstrap_servers_.empty()) {
        bj::array servers;
        for (const auto& s : bootstrap_servers_) servers.emplace_back(s);
        body["SelfManagedEventSource"] =
            bj::object{{"Endpoints", bj::object{{"KAFKA_BOOTSTRAP_SERVERS", std::move(servers)}}}};
      } else {
        auto arn = event_source_arn_ ? *event_source_arn_ : backbone_arn();
        if (arn.empty()) return 1;
        body["EventSourceArn"] = arn;
      }
      if (starting_position_) body["StartingPosition"] = *starting_position_;
      if (starting_timestamp_) body["StartingPositionTimestamp"] = *starting_timestamp_;
      if (consumer_group_) {
        body[bootstrap_servers_.empty() ? "AmazonManagedKafkaEventSourceConfig"
                                        : "SelfManagedKafkaEventSourceConfig"] =
            bj::object{{"ConsumerGroupId", *consumer_group_}};
      }
      put_settings(body);
      return call("POST", mappings_path, body);
    }
    if (update_->parsed()) {
      bj::object body;
      if (function_) body["FunctionName"] = *function_;
      put_settings(body);
      return call("PUT", path(), body);
    }
    return 0;
  }

 private:
  void add_settings(CLI::App* c) {
    c->add_option("--batch-size", batch_size_, "Records per invocation (1 to 10000)");
    c->add_option("--batching-window", batching_window_, "Seconds to gather a batch (0 to 300)");
    c->add_option("--filter", filters_, "An EventBridge pattern (repeatable, up to 5)");
    c->add_option("--on-failure", on_failure_, "kafka://<topic> for records that keep failing");
    c->add_option("--maximum-retry-attempts", retries_, "-1 (unlimited) to 10000");
    c->add_option("--maximum-record-age", record_age_, "-1 (unlimited) or 60 to 604800 seconds");
    c->add_flag("--bisect-on-error", bisect_, "Split a failing batch in two and retry the halves");
    c->add_flag("--report-batch-item-failures", item_failures_,
                "The function answers which records failed");
  }

  void put_settings(bj::object& body) const {
    if (batch_size_) body["BatchSize"] = *batch_size_;
    if (batching_window_) body["MaximumBatchingWindowInSeconds"] = *batching_window_;
    if (!filters_.empty()) {
      bj::array list;
      for (const auto& f : filters_) list.push_back(bj::object{{"Pattern", f}});
      body["FilterCriteria"] = bj::object{{"Filters", std::move(list)}};
    }
    if (on_failure_) {
      body["DestinationConfig"] =
          bj::object{{"OnFailure", bj::object{{"Destination", *on_failure_}}}};
    }
    if (retries_) body["MaximumRetryAttempts"] = *retries_;
    if (record_age_) body["MaximumRecordAgeInSeconds"] = *record_age_;
    if (bisect_) body["BisectBatchOnFunctionError"] = true;
    if (item_failures_) body["FunctionResponseTypes"] = bj::array{"ReportBatchItemFailures"};
  }

  std::string path() const { return std::string(mappings_path) + "/" + uuid_; }

  // The ARN of the Kafka cluster the running Wharf reads, as its admin API tells it.
  std::string backbone_arn() {
    http::client_request req;
    req.url = admin_url_ + "/wharf/triggers/cluster";
    auto answered = http::send(req);
    if (answered.ok() && answered->status == 200) {
      boost::system::error_code ec;
      auto v = bj::parse(answered->body, ec);
      if (!ec && v.is_object() && v.get_object().contains("ClusterArn")) {
        return std::string(v.get_object().at("ClusterArn").as_string());
      }
    }
    std::cerr << "wharf trigger: cannot learn the cluster's ARN from " << admin_url_
              << "; give --event-source-arn\n";
    return {};
  }

  int call(const std::string& method, const std::string& target,
           const std::optional<bj::object>& body) {
    http::client_request req;
    req.method = method;
    req.url = admin_url_ + target;
    if (body) {
      req.body = bj::serialize(*body);
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto answered = http::send(req);
    if (!answered.ok()) {
      std::cerr << "wharf trigger: " << admin_url_ << ": " << answered.err().message() << "\n";
      return 1;
    }
    boost::system::error_code ec;
    auto v = bj::parse(answered->body, ec);
    if (answered->status / 100 != 2) {
      std::string type = "HTTP " + std::to_string(answered->status);
      for (const auto& [name, value] : answered->headers) {
        if (name.size() == 16 && strcasecmp(name.c_str(), "X-Amzn-ErrorType") == 0) type = value;
      }
      std::string message = answered->body;
      if (!ec && v.is_object()) {
        for (const char* key : {"message", "Message"}) {
          if (const auto* m = v.get_object().if_contains(key); m && m->is_string()) {
            message = std::string(m->get_string());
          }
        }
      }
      std::cerr << "wharf trigger: " << type << ": " << message << "\n";
      return 1;
    }
    if (ec) {
      std::cout << answered->body << "\n";
    } else {
      print_json_indented(std::cout, v);
      std::cout << "\n";
    }
    return 0;
  }

  CLI::App* cmd_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* update_ = nullptr;
  CLI::App* enable_ = nullptr;
  CLI::App* disable_ = nullptr;
  CLI::App* delete_ = nullptr;

  std::string admin_url_ = "http://127.0.0.1:8080";
  std::string uuid_;
  std::optional<std::string> function_;
  std::string topic_;
  std::optional<std::string> starting_position_;
  std::optional<double> starting_timestamp_;
  std::optional<std::string> event_source_arn_;
  std::vector<std::string> bootstrap_servers_;
  std::optional<std::string> consumer_group_;
  std::optional<int> batch_size_;
  std::optional<int> batching_window_;
  std::vector<std::string> filters_;
  std::optional<std::string> on_failure_;
  std::optional<int> retries_;
  std::optional<int> record_age_;
  bool bisect_ = false;
  bool item_failures_ = false;
};

}  // namespace

trigger_cli& trigger_cli::add_to(CLI::App& app) {
  static std::unique_ptr<trigger_cli_impl> cli;
  cli = std::make_unique<trigger_cli_impl>(app);
  return *cli;
}

}  // namespace wharf::app
