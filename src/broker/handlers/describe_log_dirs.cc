// DescribeLogDirs (key 35): the data dir, its space, and each partition's size.
#include "kafka/protocol/generated/describe_log_dirs.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void describe_log_dirs_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::describe_log_dirs_request>(ctx, responder);
  if (!request) return;
  kp::describe_log_dirs_response response;
  kp::describe_log_dirs_response::describe_log_dirs_result dir;
  std::error_code ec;
  dir.log_dir = std::filesystem::absolute(ctx.broker.options.data_dir, ec).string();
  struct statvfs fs {};
  if (::statvfs(ctx.broker.options.data_dir.c_str(), &fs) == 0) {
    dir.total_bytes =
        static_cast<std::int64_t>(fs.f_blocks) * static_cast<std::int64_t>(fs.f_frsize);
    dir.usable_bytes =
        static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
  }
  auto add_topic = [&](const topic& t, const std::vector<std::int32_t>* only) {
    kp::describe_log_dirs_response::describe_log_dirs_topic out;
    out.name = t.name;
    for (const auto& p : t.partitions) {
      if (only && std::find(only->begin(), only->end(), p->index()) == only->end()) continue;
      kp::describe_log_dirs_response::describe_log_dirs_partition part;
      part.partition_index = p->index();
      part.partition_size = static_cast<std::int64_t>(p->log().size_bytes());
      out.partitions.push_back(part);
    }
    dir.topics.push_back(std::move(out));
  };
  if (!request->topics) {
    for (const auto& t : ctx.broker.topics->list()) add_topic(*t, nullptr);
  } else {
    for (const auto& wanted : *request->topics) {
      if (auto t = ctx.broker.topics->find(wanted.topic)) add_topic(*t, &wanted.partitions);
    }
  }
  response.results.push_back(std::move(dir));
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers
