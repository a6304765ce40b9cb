// `wharf trigger ...`: the event source mapping API of a running Wharf from the command
// line (list, get, create, update, enable, disable, delete), printing Lambda's JSON.
#pragma once

namespace CLI {
class App;
}

namespace wharf::app {

// Adds the `trigger` subcommand to app; the returned function runs the parsed verb and
// gives the exit code (0 done, 1 refused by the API or unreachable), or -1 if no trigger
// verb was given.
class trigger_cli {
 public:
  static trigger_cli& add_to(CLI::App& app);
  virtual ~trigger_cli() = default;
  virtual int run_if_parsed() = 0;
};

}  // namespace wharf::app
