#include "services/registry/schema_log.h"

#include <shared_mutex>

#include "base/logging.h"
#include "kafka/client/compacted_log.h"

namespace wharf::registry {

namespace kc = kafka::client;

namespace {

class kafka_schema_log final : public schema_log {
 public:
  // The store, kept current by the compacted log's reader.
  struct state {
    mutable std::shared_mutex mutex;
    schema_store store;
  };

  kafka_schema_log(std::shared_ptr<state> s, std::unique_ptr<kc::compacted_log> log)
      : state_(std::move(s)), log_(std::move(log)) {}

  ~kafka_schema_log() override { close(); }

  void read(const std::function<void(const schema_store&)>& fn) const override {
    std::shared_lock lock(state_->mutex);
    fn(state_->store);
  }

  status write(const std::vector<log_record>& records) override {
    std::vector<kc::log_entry> entries;
    for (const auto& r : records) entries.push_back({r.key, r.value});
    return log_->write(entries);
  }

  status sync() override { return write({schema_store::noop_record()}); }
  std::unique_lock<std::mutex> write_lock() override { return log_->write_lock(); }
  std::int64_t applied_offset() const override { return log_->applied_offset(); }
  void close() override { log_->close(); }

 private:
  std::shared_ptr<state> state_;
  std::unique_ptr<kc::compacted_log> log_;
};

}  // namespace

result<std::unique_ptr<schema_log>> schema_log::open(kc::cluster& kafka,
                                                     schema_log_options options) {
  auto s = std::make_shared<kafka_schema_log::state>();
  kc::compacted_log_options log_options;
  log_options.topic = options.topic;
  log_options.client_id = "wharf-schema-registry";
  log_options.timeout = options.timeout;
  log_options.apply = [s, topic = options.topic](const kc::log_entry& e, std::int64_t offset) {
    std::unique_lock lock(s->mutex);
    auto value = e.value ? std::optional<std::string_view>(*e.value) : std::nullopt;
    if (!s->store.apply(e.key, value)) {
      logging::get("registry")->debug("skipped a record of {} at offset {}", topic, offset);
    }
  };
  WHARF_ASSIGN_OR_RETURN(auto log, kc::compacted_log::open(kafka, std::move(log_options)));
  return std::unique_ptr<schema_log>(std::make_unique<kafka_schema_log>(s, std::move(log)));
}

}  // namespace wharf::registry
