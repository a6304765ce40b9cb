// A minimal librdkafka producer for bench/broker_bench.py: sends N records of SIZE bytes
// to one partition as fast as the client allows and reports throughput and the latency of
// each record (produce() call to its delivery report) as percentiles. It needs far less
// CPU than Java's producer-perf-test, so on a small machine more of it is left for the
// broker, whose speed then shows.
//   rdkafka_produce_bench BOOTSTRAP TOPIC RECORDS SIZE ACKS [key=value...]
// Prints: records=N bytes=N seconds=S p50_ms=X p99_ms=X max_ms=X errors=N
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct run_state {
  std::vector<double> latencies_ms;
  std::vector<clock_type::time_point> sent_at;
  long long delivered = 0;
  long long errors = 0;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* state = static_cast<run_state*>(opaque);
  auto index = reinterpret_cast<std::size_t>(msg->_private);
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++state->errors;
    return;
  }
  state->latencies_ms.push_back(
      std::chrono::duration<double, std::milli>(clock_type::now() - state->sent_at[index]).count());
  ++state->delivered;
}

double percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  auto index = std::min(values.size() - 1, static_cast<std::size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP TOPIC RECORDS SIZE ACKS [key=value...]\n", argv[0]);
    return 2;
  }
  long long records = std::atoll(argv[3]);
  std::size_t size = static_cast<std::size_t>(std::atoll(argv[4]));
  run_state state;
  state.latencies_ms.reserve(static_cast<std::size_t>(records));
  state.sent_at.resize(static_cast<std::size_t>(records));

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const char* v) {
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", err);
      std::exit(2);
    }
  };
  set("bootstrap.servers", argv[1]);
  set("acks", argv[5]);
  set("linger.ms", "5");
  set("batch.size", "65536");
  set("queue.buffering.max.kbytes", "262144");
  set("queue.buffering.max.messages", "1000000");
  for (int i = 6; i < argc; ++i) {
    std::string setting = argv[i];
    auto eq = setting.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "expected key=value, got %s\n", argv[i]);
      return 2;
    }
    set(setting.substr(0, eq).c_str(), setting.substr(eq + 1).c_str());
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &state);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "%s\n", err);
    return 2;
  }
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, argv[2], nullptr);
  std::string payload(size, 'x');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);

  auto started = clock_type::now();
  for (long long i = 0; i < records;) {
    state.sent_at[static_cast<std::size_t>(i)] = clock_type::now();
    if (rd_kafka_produce(topic, 0, RD_KAFKA_MSG_F_COPY, payload.data(), payload.size(), nullptr, 0,
                         reinterpret_cast<void*>(static_cast<std::size_t>(i))) == -1) {
      if (rd_kafka_last_error() == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 1);
        continue;
      }
      std::fprintf(stderr, "produce failed: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      return 1;
    }
    ++i;
    rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 5);
  double seconds = std::chrono::duration<double>(clock_type::now() - started).count();

  auto p50 = percentile(state.latencies_ms, 0.50);
  auto p99 = percentile(state.latencies_ms, 0.99);
  auto max = state.latencies_ms.empty()
                 ? 0.0
                 : *std::max_element(state.latencies_ms.begin(), state.latencies_ms.end());
  std::printf(
      "records=%lld bytes=%lld seconds=%.6f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%lld\n",
      state.delivered, state.delivered * static_cast<long long>(size), seconds, p50, p99, max,
      state.errors);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);
  return state.errors == 0 ? 0 : 1;
}
