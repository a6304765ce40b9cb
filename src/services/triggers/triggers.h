// wharf::triggers: Lambda-style event source mappings. Functions come from the config
// file and from the function API (AWS Lambda's /2015-03-31/functions and Wharf's
// /wharf/functions), stored in the same topic as mappings; mappings from the config file and from
// AWS Lambda's event source mapping API on the admin listener, stored in a compacted Kafka topic so
// they survive restarts and every Wharf instance sees them. Each instance runs every enabled
// mapping: a mapping is a consumer group, so Kafka shares a mapping's partitions among the
// instances.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace wharf::net {
class io_runtime;
}
namespace wharf::http {
class router;
}
namespace wharf::metrics {
class registry;
}
namespace wharf::kafka::client {
class cluster;
}

namespace wharf::triggers {

struct service_options {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // The backbone as an MSK-style cluster: arn:aws:kafka:<region>:<account>:cluster/<name>/<id>.
  std::string cluster_name = "wharf";
  std::string topic = "_wharf_triggers";  // where mappings are stored
  std::string functions_json;             // the config file's `functions` section
  std::string mappings_json;              // the config file's `triggers.mappings` section
  std::string clusters_json;              // other Kafka clusters mappings may read
  std::chrono::milliseconds retry_backoff{500};
  std::chrono::milliseconds retry_backoff_max{30'000};
  std::chrono::milliseconds timeout{10'000};  // Kafka writes
  // Functions declared through the API: their zip packages are unpacked under
  // <data_dir>/functions/<name>/; allow_commands lets the API create functions that run
  // commands (runtime, exec, packages), which is off by default (an RCE surface).
  std::string data_dir = "./wharf-data";
  bool allow_api_commands = false;
  int api_max_concurrency = 10;
};

// Problems in the config file's functions and triggers.mappings sections (what start()
// would refuse), for `wharf config check`.
std::vector<std::string> check_config(const std::string& functions_json,
                                      const std::string& mappings_json,
                                      const std::string& clusters_json = {});

class service {
 public:
  virtual ~service() = default;

  // Checks the functions and declared mappings, opens the mappings topic (the service
  // answers 503 until it is read) and starts the enabled mappings.
  static result<std::unique_ptr<service>> start(net::io_runtime& runtime, service_options options,
                                                kafka::client::cluster& kafka,
                                                metrics::registry* metrics);

  // The event source mapping API (/2015-03-31/event-source-mappings...).
  virtual void add_routes(http::router& routes) = 0;

  // The backbone's ARN, for event sources; known once Kafka answered.
  virtual std::string cluster_arn() const = 0;
  virtual bool ready() const = 0;
  virtual void shutdown() = 0;

  // Tells the function API which router rules use a function (it refuses to delete one
  // still used). Set before add_routes.
  virtual void set_function_users(
      std::function<std::vector<std::string>(const std::string& name)> users) = 0;

  // The functions (config file and API), for the router's function targets: invoke blocks
  // until the function ends and returns its error (nullopt on success).
  virtual bool has_function(const std::string& name) const = 0;
  virtual std::optional<std::string> invoke_function(const std::string& name,
                                                     const std::string& event) = 0;
  // The same, returning the function's result (a pipe's enrichment needs it).
  virtual result<std::string> call_function(const std::string& name, const std::string& event) = 0;
};

}  // namespace wharf::triggers
