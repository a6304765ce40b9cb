// `wharf rule ...` and `wharf event put` over the router's EventBridge API (see rule_cli.h).
#include "app/rule_cli.h"

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "app/cli_json.h"
#include "http/client.h"

namespace wharf::app {

namespace bj = boost::json;

namespace {

class rule_cli_impl final : public rule_cli {
 public:
  explicit rule_cli_impl(CLI::App& app) {
    rule_ = app.add_subcommand("rule", "Manage EventBridge-style rules of a running Wharf");
    rule_->require_subcommand(1);
    event_ = app.add_subcommand("event", "Put events on a bus of a running Wharf");
    event_->require_subcommand(1);
    for (auto* cmd : {rule_, event_}) {
      cmd->add_option("--admin-url", admin_url_, "Wharf's admin listener")
          ->envname("WHARF_ADMIN_URL")
          ->capture_default_str();
      cmd->add_option("--bus", bus_, "Event bus (default: default)");
    }
    list_ = rule_->add_subcommand("list", "List the rules of a bus");
    get_ = named(rule_->add_subcommand("get", "Show one rule"));
    put_ = named(rule_->add_subcommand("put", "Create or change a rule"));
    put_->add_option("--pattern", pattern_, "Event pattern (JSON)")->required();
    put_->add_option("--description", description_, "Description");
    put_->add_option("--source-topic", source_topic_, "Read this plain Kafka topic, not the bus");
    put_->add_flag("--disabled", disabled_, "Create it disabled");
    enable_ = named(rule_->add_subcommand("enable", "Enable a rule"));
    disable_ = named(rule_->add_subcommand("disable", "Disable a rule"));
    delete_ = named(rule_->add_subcommand("delete", "Delete a rule (without targets)"));
    targets_ = named(rule_->add_subcommand("targets", "List a rule's targets"));
    add_target_ = named(rule_->add_subcommand("add-target", "Add or replace a target"));
    add_target_->add_option("--id", target_id_, "Target id")->required();
    add_target_
        ->add_option("--arn", target_arn_,
                     "arn:wharf:kafka:::topic/<name>, a function, bus or API "
                     "destination ARN, or an http(s) URL")
        ->required();
    add_target_->add_option("--input-path", input_path_, "JSON path of the part to send");
    add_target_->add_option("--dead-letter-topic", dead_letter_topic_, "Kafka topic for failures");
    remove_target_ = named(rule_->add_subcommand("remove-target", "Remove a target"));
    remove_target_->add_option("--id", target_id_, "Target id")->required();

    put_event_ = event_->add_subcommand("put", "Put one event");
    put_event_->add_option("--source", source_, "Source")->required();
    put_event_->add_option("--detail-type", detail_type_, "Detail type")->required();
    put_event_->add_option("--detail", detail_, "Detail (a JSON object)")->required();
    // --admin-url and --bus may come after the verb too.
    for (auto* cmd : {rule_, event_}) {
      for (auto* verb : cmd->get_subcommands({})) verb->fallthrough();
    }
  }

  int run_if_parsed() override {
    if (!rule_->parsed() && !event_->parsed()) return -1;
    bj::object body;
    if (!bus_.empty()) body["EventBusName"] = bus_;
    if (list_->parsed()) return call("ListRules", body);
    if (put_event_->parsed()) {
      bj::object entry{{"Source", source_}, {"DetailType", detail_type_}, {"Detail", detail_}};
      if (!bus_.empty()) entry["EventBusName"] = bus_;
      return call("PutEvents", bj::object{{"Entries", bj::array{entry}}});
    }
    if (targets_->parsed() || add_target_->parsed() || remove_target_->parsed()) {
      body["Rule"] = name_;
    } else {
      body["Name"] = name_;
    }
    if (get_->parsed()) return call("DescribeRule", body);
    if (enable_->parsed()) return call("EnableRule", body);
    if (disable_->parsed()) return call("DisableRule", body);
    if (delete_->parsed()) return call("DeleteRule", body);
    if (targets_->parsed()) return call("ListTargetsByRule", body);
    if (remove_target_->parsed()) {
      body["Ids"] = bj::array{bj::string(target_id_)};
      return call("RemoveTargets", body);
    }
    if (add_target_->parsed()) {
      bj::object target{{"Id", target_id_}, {"Arn", target_arn_}};
      if (input_path_) target["InputPath"] = *input_path_;
      if (dead_letter_topic_) {
        target["DeadLetterConfig"] =
            bj::object{{"Arn", "arn:wharf:kafka:::topic/" + *dead_letter_topic_}};
      }
      body["Targets"] = bj::array{target};
      return call("PutTargets", body);
    }
    body["EventPattern"] = pattern_;
    body["State"] = disabled_ ? "DISABLED" : "ENABLED";
    if (description_) body["Description"] = *description_;
    if (source_topic_) body["SourceTopic"] = *source_topic_;
    return call("PutRule", body);
  }

 private:
  CLI::App* named(CLI::App* cmd) {
    cmd->add_option("name", name_, "The rule's name")->required();
    return cmd;
  }

  int call(const std::string& operation, const bj::object& body) {
    http::client_request req;
    req.method = "POST";
    req.url = admin_url_ + "/";
    req.headers = {{"X-Amz-Target", "AWSEvents." + operation},
                   {"Content-Type", "application/x-amz-json-1.1"}};
    req.body = bj::serialize(body);
    auto answered = http::send(req);
    if (!answered.ok()) {
      std::cerr << "wharf: " << admin_url_ << ": " << answered.err().message() << "\n";
      return 1;
    }
    boost::system::error_code ec;
    auto parsed = bj::parse(answered->body, ec);
    if (answered->status != 200) {
      std::string type = "HTTP " + std::to_string(answered->status), message = answered->body;
      if (!ec && parsed.is_object()) {
        if (auto* t = parsed.get_object().if_contains("__type"); t && t->is_string()) {
          type = std::string(t->get_string());
        }
        if (auto* m = parsed.get_object().if_contains("message"); m && m->is_string()) {
          message = std::string(m->get_string());
        }
      }
      std::cerr << "wharf: " << type << ": " << message << "\n";
      return 1;
    }
    if (!ec && !(parsed.is_object() && parsed.get_object().empty())) {
      print_json_indented(std::cout, parsed);
      std::cout << "\n";
    }
    // Per-entry failures (PutEvents, PutTargets, RemoveTargets) fail the command too.
    if (!ec && parsed.is_object()) {
      if (auto* failed = parsed.get_object().if_contains("FailedEntryCount");
          failed && failed->is_int64() && failed->get_int64() > 0) {
        return 1;
      }
    }
    return 0;
  }

  CLI::App* rule_ = nullptr;
  CLI::App* event_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* put_ = nullptr;
  CLI::App* enable_ = nullptr;
  CLI::App* disable_ = nullptr;
  CLI::App* delete_ = nullptr;
  CLI::App* targets_ = nullptr;
  CLI::App* add_target_ = nullptr;
  CLI::App* remove_target_ = nullptr;
  CLI::App* put_event_ = nullptr;

  std::string admin_url_ = "http://127.0.0.1:8080";
  std::string bus_;
  std::string name_;
  std::string pattern_;
  std::optional<std::string> description_;
  std::optional<std::string> source_topic_;
  bool disabled_ = false;
  std::string target_id_;
  std::string target_arn_;
  std::optional<std::string> input_path_;
  std::optional<std::string> dead_letter_topic_;
  std::string source_;
  std::string detail_type_;
  std::string detail_;
};

}  // namespace

rule_cli& rule_cli::add_to(CLI::App& app) {
  static std::unique_ptr<rule_cli_impl> cli;
  cli = std::make_unique<rule_cli_impl>(app);
  return *cli;
}

}  // namespace wharf::app
