#include "metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

namespace wharf::metrics {
namespace {

struct proc_stat {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double value = 0;
      in >> value;
      return value;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return 0;
}

proc_stat read_proc_stat() {
  proc_stat out;
  std::ifstream in("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may contain spaces; fields are counted after its ')'.
  auto close = content.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(content.substr(close + 2));
  std::vector<std::string> f;
  std::string token;
  while (fields >> token) f.push_back(token);
  // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23, rss=24.
  auto field = [&](int n) -> double {
    auto index = static_cast<std::size_t>(n - 3);
    return index < f.size() ? std::stod(f[index]) : 0.0;
  };
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  out.cpu_seconds = (field(14) + field(15)) / ticks;
  out.start_time_seconds = boot_time_seconds() + field(22) / ticks;
  out.virtual_bytes = field(23);
  out.resident_bytes = field(24) * page;
  return out;
}

double count_open_fds() {
  double count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
    count -= 1;  // the descriptor opendir itself holds
  }
  return count;
}

}  // namespace

void register_process_metrics(registry& reg, const std::string& version) {
  auto started = std::chrono::steady_clock::now();
  reg.add_collector([started, version](sample_sink& sink) {
    auto stat = read_proc_stat();
    sink.sample("process_cpu_seconds_total", metric_type::counter,
                "Total user and system CPU time spent in seconds.", {}, stat.cpu_seconds);
    sink.sample("process_resident_memory_bytes", metric_type::gauge,
                "Resident memory size in bytes.", {}, stat.resident_bytes);
    sink.sample("process_virtual_memory_bytes", metric_type::gauge, "Virtual memory size in bytes.",
                {}, stat.virtual_bytes);
    sink.sample("process_start_time_seconds", metric_type::gauge,
                "Start time of the process since unix epoch in seconds.", {},
                stat.start_time_seconds);
    sink.sample("process_open_fds", metric_type::gauge, "Number of open file descriptors.", {},
                count_open_fds());
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      sink.sample("process_max_fds", metric_type::gauge, "Maximum number of open file descriptors.",
                  {}, static_cast<double>(limit.rlim_cur));
    }
    auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    sink.sample("wharf_uptime_seconds", metric_type::gauge, "Seconds since Wharf started.", {},
                uptime.count());
    sink.sample("wharf_build_info", metric_type::gauge, "Wharf version, always 1.",
                {{"version", version}}, 1);
  });
}

}  // namespace wharf::metrics
