// Micro-benchmarks of the produce path (-DWHARF_BUILD_BENCH=ON): validate (with and without
// checking the records of compressed batches), append patching, and decoding, per codec.
// Bytes/s are of the batch as it arrives (compressed); "raw" counters give the records'
// uncompressed size, so raw MB/s = bytes_per_second * raw / batch.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/bytes.h"
#include "kafka/records/batch.h"
#include "kafka/records/builder.h"
#include "kafka/records/patch.h"
#include "kafka/records/record.h"
#include "kafka/records/validate.h"

namespace {

using namespace wharf::kafka::records;

// Records shaped like typical JSON events: ~500 bytes, compressible about 3-5x.
std::string make_batch(compression_type codec, std::size_t target_bytes) {
  batch_builder builder(
      {.compression = codec, .producer_id = 1000, .producer_epoch = 0, .base_sequence = 0});
  std::uint64_t seed = 12345;
  auto next = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  for (int i = 0; builder.uncompressed_size() < target_bytes; ++i) {
    std::string value = "{\"event\":\"page_view\",\"user\":" + std::to_string(next() % 100000) +
                        ",\"session\":\"" + std::to_string(next()) + "\",\"path\":\"/products/" +
                        std::to_string(next() % 5000) + "\",\"referrer\":\"https://example.com/" +
                        std::to_string(next() % 100) +
                        "\",\"ts\":" + std::to_string(1700000000000 + i) + ",\"tags\":[";
    for (int t = 0; t < 12; ++t) value += "\"tag" + std::to_string(next() % 40) + "\",";
    value += "\"end\"],\"payload\":\"";
    for (int c = 0; c < 200; ++c) value.push_back(static_cast<char>('a' + next() % 26));
    value += "\"}";
    auto key = "user-" + std::to_string(next() % 100000);
    record_header headers[] = {{"content-type", "application/json"}, {"trace", "abc123"}};
    builder.append(1700000000000 + i, key, value, headers);
  }
  return std::move(builder).build().value();
}

const std::vector<std::size_t> sizes = {16 << 10, 1 << 20};

void validate_bench(benchmark::State& state, bool check_compressed) {
  auto codec = static_cast<compression_type>(state.range(0));
  auto batch = make_batch(codec, static_cast<std::size_t>(state.range(1)));
  validation_options options;
  options.max_batch_bytes = 64u << 20;
  options.validate_compressed_records = check_compressed;
  std::size_t raw = 0;
  for (auto _ : state) {
    auto summary = validate_batch(batch, options);
    if (!summary.ok()) state.SkipWithError(summary.err().message().c_str());
    raw = summary->uncompressed_records_bytes;
    benchmark::DoNotOptimize(summary);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.SetLabel(compression_name(codec));
  state.counters["batch"] = static_cast<double>(batch.size());
  state.counters["raw"] = static_cast<double>(raw);
}

void BM_validate(benchmark::State& state) { validate_bench(state, true); }
void BM_validate_header_only(benchmark::State& state) { validate_bench(state, false); }

void BM_patch_log_append_time(benchmark::State& state) {
  auto codec = static_cast<compression_type>(state.range(0));
  auto batch = make_batch(codec, static_cast<std::size_t>(state.range(1)));
  std::int64_t offset = 0;
  for (auto _ : state) {
    offset = patch_for_append({batch.data(), batch.size()},
                              {.base_offset = offset,
                               .partition_leader_epoch = 1,
                               .log_append_time_ms = 1700000000000 + offset});
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.SetLabel(compression_name(codec));
}

// The alternative to the incremental CRC update: recompute it over the whole batch.
void BM_crc32c_full(benchmark::State& state) {
  std::string data(static_cast<std::size_t>(state.range(1)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(wharf::crc32c(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}

void BM_decode(benchmark::State& state) {
  auto codec = static_cast<compression_type>(state.range(0));
  auto batch = make_batch(codec, static_cast<std::size_t>(state.range(1)));
  auto view = batch_view::parse(batch).value();
  for (auto _ : state) {
    record_reader reader(view);
    std::size_t keys = 0;
    for (;;) {
      auto rec = reader.next();
      if (!rec.ok() || !rec->has_value()) break;
      keys += (*rec)->key->size();
    }
    benchmark::DoNotOptimize(keys);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.SetLabel(compression_name(codec));
}

void codec_args(benchmark::internal::Benchmark* b) {
  for (int codec = 0; codec <= 4; ++codec) {
    for (auto size : sizes) b->Args({codec, static_cast<std::int64_t>(size)});
  }
}

BENCHMARK(BM_validate)->Apply(codec_args);
BENCHMARK(BM_validate_header_only)->Apply(codec_args);
BENCHMARK(BM_patch_log_append_time)->Apply(codec_args);
BENCHMARK(BM_decode)->Apply(codec_args);
BENCHMARK(BM_crc32c_full)->Args({0, 16 << 10})->Args({0, 1 << 20});

}  // namespace

BENCHMARK_MAIN();
