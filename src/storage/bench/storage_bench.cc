// Micro-benchmarks of the partition log: append and read throughput with 16 KB batches of
// 1 KB records (uncompressed), the default configuration except where a name says so.
// Build with -DWHARF_BUILD_BENCH=ON; run build/<dir>/src/storage/storage_bench.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include "kafka/records/builder.h"
#include "storage/partition_log.h"

namespace {

using namespace wharf;
namespace records = wharf::kafka::records;

std::string batch_16k() {
  records::batch_builder builder({});
  std::string value(1000, 'v');
  for (int i = 0; i < 16; ++i) builder.append(1'700'000'000'000 + i, std::nullopt, value);
  return std::move(builder).build().value();
}

std::filesystem::path temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "wharf-bench-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) std::abort();
  return pattern;
}

std::unique_ptr<storage::partition_log> open(const std::filesystem::path& dir,
                                             storage::log_config config) {
  config.segment_bytes = 64 << 20;
  auto log = storage::partition_log::open(dir, config);
  if (!log.ok()) std::abort();
  return std::move(log).value();
}

// Appends in a loop; old segments are dropped as it goes so the disk use stays bounded.
void append_loop(benchmark::State& state, storage::log_config config) {
  auto dir = temp_dir();
  auto log = open(dir, config);
  std::string batch = batch_16k();
  std::int64_t n = 0;
  for (auto _ : state) {
    auto r = log->append(batch);
    if (!r.ok()) state.SkipWithError(r.err().message().c_str());
    if (++n % 8192 == 0) {
      state.PauseTiming();
      (void)log->delete_records_before(log->log_end_offset());
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  log.reset();
  std::filesystem::remove_all(dir);
}

void BM_Append(benchmark::State& state) { append_loop(state, {}); }
BENCHMARK(BM_Append)->UseRealTime();

void BM_AppendFlushEveryMessage(benchmark::State& state) {
  storage::log_config config;
  config.flush_messages = 1;
  append_loop(state, config);
}
BENCHMARK(BM_AppendFlushEveryMessage)->UseRealTime();

void BM_AppendInPlace(benchmark::State& state) {
  auto dir = temp_dir();
  auto log = open(dir, {});
  std::string batch = batch_16k();
  std::int64_t n = 0;
  for (auto _ : state) {
    auto r = log->append_in_place(std::span<char>(batch.data(), batch.size()));
    if (!r.ok()) state.SkipWithError(r.err().message().c_str());
    if (++n % 8192 == 0) {
      state.PauseTiming();
      (void)log->delete_records_before(log->log_end_offset());
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendInPlace)->UseRealTime();

// Sequential fetches of max_bytes over 128 MiB of batches (in the page cache).
void BM_Read(benchmark::State& state) {
  auto dir = temp_dir();
  auto log = open(dir, {});
  std::string batch = batch_16k();
  for (int i = 0; i < 8192; ++i) (void)log->append(batch);
  auto max_bytes = static_cast<std::size_t>(state.range(0));
  std::int64_t offset = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    auto r = log->read(offset, max_bytes);
    if (!r.ok()) state.SkipWithError(r.err().message().c_str());
    bytes += static_cast<std::int64_t>(r->records.size());
    offset = r->next_offset >= log->log_end_offset() ? 0 : r->next_offset;
    benchmark::DoNotOptimize(r->records.bytes().data());
  }
  state.SetBytesProcessed(bytes);
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Read)->Arg(16 << 10)->Arg(1 << 20)->UseRealTime();

// Reads of one random offset each, as consumers that fell behind do.
void BM_ReadRandomOffset(benchmark::State& state) {
  auto dir = temp_dir();
  auto log = open(dir, {});
  std::string batch = batch_16k();
  for (int i = 0; i < 8192; ++i) (void)log->append(batch);
  std::int64_t end = log->log_end_offset();
  std::uint64_t x = 88172645463325252ull;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    auto r = log->read(static_cast<std::int64_t>(x % static_cast<std::uint64_t>(end)), 16 << 10);
    if (!r.ok()) state.SkipWithError(r.err().message().c_str());
    bytes += static_cast<std::int64_t>(r->records.size());
  }
  state.SetBytesProcessed(bytes);
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ReadRandomOffset)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
