#include "services/registry/writer_election.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "base/logging.h"

namespace wharf::registry {

namespace kc = kafka::client;

namespace {

class group_election final : public writer_election {
 public:
  group_election(kc::cluster& kafka, election_options options,
                 std::unique_ptr<kc::consumer> consumer)
      : kafka_(kafka), options_(std::move(options)), consumer_(std::move(consumer)) {
    thread_ = std::thread([this] { run(); });
  }
  ~group_election() override { close(); }

  bool is_writer() const override { return writer_; }
  std::uint64_t term() const override { return term_; }

  std::optional<std::string> writer_url(std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!stopping_) {
      if (writer_) return options_.own_url;
      if (auto url = described_writer()) return url;
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
  }

  void close() override {
    if (stopping_.exchange(true)) return;
    if (thread_.joinable()) thread_.join();
    writer_ = false;
    (void)consumer_->close();  // leaves the group, so another instance takes over at once
  }

 private:
  // The member the group's description shows holding the partition.
  std::optional<std::string> described_writer() {
    auto described = kafka_.admin_client().describe_groups({options_.group_id});
    if (!described.ok() || described->empty()) return std::nullopt;
    for (const auto& m : (*described)[0].members) {
      for (const auto& tp : m.assignment) {
        if (tp.topic == options_.topic && tp.partition == 0 && !m.client_id.empty()) {
          return m.client_id;
        }
      }
    }
    return std::nullopt;
  }

  void run() {
    auto log = logging::get("registry");
    while (!stopping_) {
      // Polling serves the group protocol (joins, heartbeats, rebalances); records are
      // not needed here, the schema log reads them.
      (void)consumer_->poll(std::chrono::milliseconds(200));
      auto assigned = consumer_->assignment();
      bool now = assigned.ok() && !assigned->empty();
      if (now != writer_) {
        if (now) ++term_;
        writer_ = now;
        log->info("this instance {} the Schema Registry's writer", now ? "is now" : "is no longer");
      }
    }
  }

  kc::cluster& kafka_;
  election_options options_;
  std::unique_ptr<kc::consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> writer_{false};
  std::atomic<std::uint64_t> term_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace

result<std::unique_ptr<writer_election>> writer_election::start(kc::cluster& kafka,
                                                                election_options options) {
  kc::consumer_options copts;
  copts.group_id = options.group_id;
  copts.client_id = options.own_url;
  copts.auto_commit = false;
  copts.properties["session.timeout.ms"] = std::to_string(options.session_timeout.count());
  copts.properties["heartbeat.interval.ms"] =
      std::to_string(std::max<std::int64_t>(500, options.session_timeout.count() / 4));
  // The election never reads records: pause fetching by asking for none.
  copts.properties["enable.partition.eof"] = "false";
  auto consumer = kafka.new_consumer(copts);
  if (!consumer.ok()) return consumer.err().to_error();
  auto subscribed = (*consumer)->subscribe({options.topic});
  if (!subscribed.ok()) return subscribed.err().to_error();
  return std::unique_ptr<writer_election>(
      std::make_unique<group_election>(kafka, std::move(options), std::move(*consumer)));
}

}  // namespace wharf::registry
