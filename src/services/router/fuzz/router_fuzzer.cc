// libFuzzer target for what the router parses from untrusted requests: a PutRule body, a
// PutTargets entry (JSON paths, input transformers, ARNs) and, when the target has a
// transformer or input path, applying it to the same bytes read as an event; a CreatePipe
// body (its plan and templates), and the bytes as a Kafka record's payload and filter view.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/parse.hpp>

#include "services/router/model.h"
#include "services/router/pipe_model.h"
#include "services/router/transform.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bj = boost::json;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Every parser sees the raw bytes as a path and a template, whatever they are.
  if (auto path = wharf::router::json_path::parse(text); path.ok()) {
    (void)path->evaluate(bj::value(bj::object{{"a", bj::array{1, 2}}}));
  }
  {
    wharf::router::pipe_source source;
    wharf::router::record_view record{"t", 0, 0, 0, std::string(text), std::string(text)};
    record.headers.emplace_back(std::string(text), std::string(text));
    auto payload = wharf::router::kafka_record_payload(source, record);
    (void)wharf::router::filter_view(payload);
    (void)wharf::router::record_key_of(payload);
    (void)wharf::router::apply_pipe_template(std::string(text), payload, {});
  }
  boost::system::error_code ec;
  bj::parse_options limits;
  limits.max_depth = 64;
  auto v = bj::parse(text, ec, {}, limits);
  if (ec || !v.is_object()) return 0;
  (void)wharf::router::parse_put_rule(v.get_object());
  if (auto pipe = wharf::router::parse_create_pipe("p", v.get_object()); pipe.ok()) {
    if (auto plan = wharf::router::plan_pipe(*pipe); plan.ok() && plan->target.input_template) {
      (void)wharf::router::apply_pipe_template(*plan->target.input_template, v, {});
    }
    (void)wharf::router::parse_update_pipe(*pipe, v.get_object());
  }
  auto target = wharf::router::parse_target(v.get_object());
  if (target.ok()) {
    wharf::router::invocation_context context{"rule", "arn", "2026-01-01T00:00:00Z"};
    if (target->transformer) (void)target->transformer->apply(v, context);
    if (target->input_path) (void)target->input_path->evaluate(v);
  }
  if (auto t = wharf::router::input_transformer::parse(v); t.ok()) {
    wharf::router::invocation_context context{"rule", "arn", "2026-01-01T00:00:00Z"};
    (void)t->apply(v, context);
  }
  return 0;
}
