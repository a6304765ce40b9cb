// `wharf rule ...` and `wharf event put`: the router's EventBridge API of a running Wharf
// from the command line (rules, their targets, events), printing EventBridge's JSON.
#pragma once

namespace CLI {
class App;
}

namespace wharf::app {

// Adds the `rule` and `event` subcommands to app; run_if_parsed runs the parsed verb and
// gives the exit code (0 done, 1 refused by the API or unreachable), or -1 if none of
// them was given.
class rule_cli {
 public:
  static rule_cli& add_to(CLI::App& app);
  virtual ~rule_cli() = default;
  virtual int run_if_parsed() = 0;
};

}  // namespace wharf::app
