// `wharf function ...`: the function API of a running Wharf from the command line
// (create, list, get, delete, invoke), in the config file's function shape.
#pragma once

namespace CLI {
class App;
}

namespace wharf::app {

// Adds the `function` subcommand to app; run_if_parsed runs the parsed verb and gives the
// exit code (0 done, 1 refused by the API, unreachable, or a function error on invoke),
// or -1 if no function verb was given.
class function_cli {
 public:
  static function_cli& add_to(CLI::App& app);
  virtual ~function_cli() = default;
  virtual int run_if_parsed() = 0;
};

}  // namespace wharf::app
