// The `wharf` command: serve, version, config check/show/reference, trigger verbs, rule and
// event verbs.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/config.h"
#include "app/function_cli.h"
#include "app/rule_cli.h"
#include "app/serve.h"
#include "app/trigger_cli.h"
#include "app/version.h"
#include "base/logging.h"

namespace {

constexpr int exit_bad_config = 2;

// Prints every problem and returns whether there were any.
bool report(const std::vector<wharf::config::problem>& problems) {
  for (const auto& p : problems) std::cerr << "wharf: " << p.describe() << "\n";
  return !problems.empty();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Wharf: an embedded Kafka-compatible broker and the integration services around "
      "it, in one binary."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(wharf::version_string));

  std::string config_file;
  std::vector<std::string> set_flags;

  auto* serve = app.add_subcommand("serve", "Run the broker and every enabled service");
  serve->add_option("-c,--config", config_file, "YAML config file (or set WHARF_CONFIG)")
      ->envname("WHARF_CONFIG");
  serve->add_option("--set", set_flags, "Override one option: KEY=VALUE (repeatable)");
  std::string log_level;
  serve->add_option("--log-level", log_level, "Shortcut for --set log.level=LEVEL");
  bool no_broker = false;
  serve->add_flag("--no-broker", no_broker,
                  "Do not run the embedded broker (use kafka.bootstrap_servers)");

  auto* version = app.add_subcommand("version", "Print the version and exit");

  auto* config = app.add_subcommand("config", "Check or print configuration");
  config->require_subcommand(1);
  std::string check_file;
  auto* check = config->add_subcommand("check", "Validate a config file; exit 2 on problems");
  check->add_option("file", check_file, "YAML config file")->required();
  auto* show = config->add_subcommand("show", "Print the effective configuration");
  show->add_option("-c,--config", config_file, "YAML config file")->envname("WHARF_CONFIG");
  show->add_option("--set", set_flags, "Override one option: KEY=VALUE (repeatable)");
  auto* reference = config->add_subcommand("reference", "Print every option as Markdown");

  auto& triggers = wharf::app::trigger_cli::add_to(app);
  auto& rules = wharf::app::rule_cli::add_to(app);
  auto& functions = wharf::app::function_cli::add_to(app);

  CLI11_PARSE(app, argc, argv);

  if (int rc = triggers.run_if_parsed(); rc >= 0) return rc;
  if (int rc = rules.run_if_parsed(); rc >= 0) return rc;
  if (int rc = functions.run_if_parsed(); rc >= 0) return rc;

  if (version->parsed()) {
    std::cout << "wharf " << wharf::version_string << " (" << wharf::git_revision << ")\n";
    return 0;
  }

  if (check->parsed()) {
    // The environment is not applied: this checks the file alone.
    auto loaded = wharf::app::load_config(check_file, {}, {});
    if (report(loaded.problems)) return exit_bad_config;
    std::cout << check_file << ": ok\n";
    return 0;
  }

  if (show->parsed() || reference->parsed()) {
    auto loaded =
        wharf::app::load_config(config_file, wharf::app::current_environment(), set_flags);
    if (report(loaded.problems)) return exit_bad_config;
    std::cout << (show->parsed() ? loaded.schema->reference_yaml()
                                 : loaded.schema->reference_markdown());
    return 0;
  }

  if (serve->parsed()) {
    if (!log_level.empty()) set_flags.push_back("log.level=" + log_level);
    if (no_broker) set_flags.push_back("broker.enabled=false");
    auto loaded =
        wharf::app::load_config(config_file, wharf::app::current_environment(), set_flags);
    if (report(loaded.problems)) return exit_bad_config;
    if (auto st = wharf::logging::configure(loaded.values->logging_options()); !st) {
      std::cerr << "wharf: log: " << st.err().message() << "\n";
      return exit_bad_config;
    }
    wharf::app::block_stop_signals();
    return wharf::app::serve(*loaded.values);
  }
  return 0;
}
