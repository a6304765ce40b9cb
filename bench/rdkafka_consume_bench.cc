// A minimal librdkafka consumer for bench/broker_bench.py: reads one partition from the
// beginning to its end and prints records, bytes and seconds. Lighter than kcat (no
// formatting), so the broker, not the client, is what gets measured.
//   rdkafka_consume_bench BOOTSTRAP TOPIC PARTITION EXPECTED_RECORDS [key=value...]
// (extra librdkafka settings override the defaults below).
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP TOPIC PARTITION EXPECTED_RECORDS [key=value...]\n",
                 argv[0]);
    return 2;
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const char* v) {
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", err);
      std::exit(2);
    }
  };
  set("bootstrap.servers", argv[1]);
  set("group.id", "rdkafka-consume-bench");  // required by the API; no group is joined
  set("enable.partition.eof", "true");
  set("fetch.max.bytes", "52428800");
  set("max.partition.fetch.bytes", "10485760");
  set("queued.max.messages.kbytes", "262144");
  // librdkafka stops fetching once 100,000 messages wait in its queue and backs off for up
  // to a second; with 100 B records that, not the broker, would set the pace.
  set("queued.min.messages", "10000000");
  set("check.crcs", "false");
  set("enable.auto.commit", "false");  // nothing to commit: the partition is assigned
  for (int i = 5; i < argc; ++i) {
    std::string setting = argv[i];
    auto eq = setting.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "expected key=value, got %s\n", argv[i]);
      return 2;
    }
    set(setting.substr(0, eq).c_str(), setting.substr(eq + 1).c_str());
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "%s\n", err);
    return 2;
  }
  rd_kafka_poll_set_consumer(rk);
  auto* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, argv[2], std::atoi(argv[3]))->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);

  long long expected = std::atoll(argv[4]);
  long long records = 0;
  long long bytes = 0;
  // The clock starts at the first record: connecting, metadata and the offset lookup take
  // a few hundred milliseconds, the same for any broker, which would otherwise weigh on a
  // read of under a second and pull the rates of any two brokers together.
  auto started = std::chrono::steady_clock::now();
  while (records < expected) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 1000);
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (records == 0) started = std::chrono::steady_clock::now();
      ++records;
      bytes += static_cast<long long>(msg->len);
    } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(msg));
      rd_kafka_message_destroy(msg);
      return 1;
    }
    rd_kafka_message_destroy(msg);
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // The client's own CPU time (all its threads), to tell a client-bound run from a
  // broker-bound one.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::printf("records=%lld bytes=%lld seconds=%.6f cpu_seconds=%.6f\n", records, bytes, seconds,
              cpu);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}
