// libFuzzer target for the __consumer_offsets record decoders (read back from the log at
// start-up) and the replay path that feeds them to the coordinator: any bytes must decode
// to a value or an error, never crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "broker/groups/coordinator.h"
#include "broker/groups/group_records.h"

namespace {

using namespace wharf::broker::groups;

class no_timers final : public scheduler {
 public:
  struct never : timer {
    bool cancel() override { return true; }
  };
  std::int64_t now_ms() override { return 0; }
  std::int64_t wall_ms() override { return 0; }
  std::shared_ptr<timer> schedule(std::int64_t, std::function<void()>) override {
    return std::make_shared<never>();
  }
};

class null_log final : public group_log {
 public:
  std::int32_t partition_count() const override { return 3; }
  error_code prepare() override { return error_code::none; }
  error_code append(std::int32_t, const std::vector<record>&) override { return error_code::none; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)decode_key(bytes);
  (void)decode_offset_commit_value(bytes);
  (void)decode_group_metadata_value(bytes);
  (void)partition_for_group(bytes, 50);
  // The first byte splits the input into a key and a value for a replay.
  if (size > 1) {
    auto split = 1 + data[0] % (size - 1);
    auto coordinator =
        group_coordinator::create({}, std::make_shared<no_timers>(), std::make_shared<null_log>());
    replayed_record r;
    r.key = bytes.substr(1, split - 1);
    r.value = bytes.substr(split);
    coordinator->replay(r);
    auto group_key = encode_key(group_metadata_key{"g"});
    r.key = group_key;  // the same value as a group record
    coordinator->replay(r);
    coordinator->finish_replay();
    (void)coordinator->describe_group("g");
  }
  return 0;
}
