// A small HTTP/1.1 load generator for the HTTP benchmarks: keep-alive connections on
// one epoll thread, each sending its next request when the previous answer is complete
// (closed loop), or at a fixed total rate (open loop, latency measured from when each
// request was due, so a stalled server cannot hide its queueing). Prints one JSON line.
//
//   http_load --url http://127.0.0.1:8081/schemas/ids/1 [--method POST]
//             [--header "Content-Type: application/json"]... [--bodies FILE]
//             [--connections 16] [--duration 10] [--rate 0] [--warmup 1]
//
// --bodies: one request body per line, used round robin (e.g. many schemas to look up).
// The server must answer with Content-Length (Wharf's HTTP server does).
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::string host = "127.0.0.1";
  int port = 80;
  std::string path = "/";
  std::string method = "GET";
  std::vector<std::string> headers;
  std::vector<std::string> bodies;
  int connections = 16;
  double duration = 10;
  double warmup = 1;
  double rate = 0;  // requests/s over all connections; 0: as fast as answers come
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "http_load: %s\n", message.c_str());
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--url") {
      url = value();
    } else if (arg == "--method") {
      o.method = value();
    } else if (arg == "--header") {
      o.headers.push_back(value());
    } else if (arg == "--bodies") {
      std::ifstream in(value());
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty()) o.bodies.push_back(line);
      }
    } else if (arg == "--connections") {
      o.connections = std::stoi(value());
    } else if (arg == "--duration") {
      o.duration = std::stod(value());
    } else if (arg == "--warmup") {
      o.warmup = std::stod(value());
    } else if (arg == "--rate") {
      o.rate = std::stod(value());
    } else {
      die("unknown argument " + arg);
    }
  }
  if (url.rfind("http://", 0) != 0) die("--url must be http://host:port/path");
  auto rest = url.substr(7);
  auto slash = rest.find('/');
  auto hostport = rest.substr(0, slash);
  o.path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  o.host = hostport.substr(0, colon);
  o.port = colon == std::string::npos ? 80 : std::stoi(hostport.substr(colon + 1));
  if (o.bodies.empty()) o.bodies.push_back("");
  return o;
}

std::vector<std::string> build_requests(const options& o) {
  std::vector<std::string> out;
  for (const auto& body : o.bodies) {
    std::string r = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" +
                    std::to_string(o.port) + "\r\n";
    for (const auto& h : o.headers) r += h + "\r\n";
    if (!body.empty() || o.method == "POST" || o.method == "PUT") {
      r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    r += "\r\n" + body;
    out.push_back(std::move(r));
  }
  return out;
}

struct connection {
  int fd = -1;
  std::string out;  // unsent bytes of the current request
  std::string in;   // received bytes of the current response
  bool busy = false;
  clock_type::time_point started;  // when the request was due (open loop) or sent
};

int open_connection(const options& o) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &found) != 0 || !found) {
    die("cannot resolve " + o.host);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    die(std::string("connect: ") + std::strerror(errno));
  }
  freeaddrinfo(found);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Bytes of a complete response at the start of buf (0 if incomplete), and its status.
std::size_t complete_response(const std::string& buf, int& status) {
  auto end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  status = std::atoi(buf.c_str() + 9);
  std::size_t length = 0;
  // Header names are case-insensitive; Wharf writes "Content-Length".
  for (std::size_t pos = buf.find("\r\n"); pos < end; pos = buf.find("\r\n", pos + 2)) {
    if (strncasecmp(buf.c_str() + pos + 2, "content-length:", 15) == 0) {
      length = std::strtoul(buf.c_str() + pos + 17, nullptr, 10);
    }
  }
  if (buf.size() < end + 4 + length) return 0;
  return end + 4 + length;
}

}  // namespace

int main(int argc, char** argv) {
  auto o = parse_args(argc, argv);
  auto requests = build_requests(o);
  int epoll = epoll_create1(0);
  std::vector<connection> conns(static_cast<std::size_t>(o.connections));
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = open_connection(o);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(epoll, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }

  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 20);
  std::map<int, long> statuses;
  long sent = 0;
  long errors = 0;
  auto start = clock_type::now();
  auto measure_from = start + std::chrono::duration_cast<clock_type::duration>(
                                  std::chrono::duration<double>(o.warmup));
  auto stop_at = measure_from + std::chrono::duration_cast<clock_type::duration>(
                                    std::chrono::duration<double>(o.duration));
  // Open loop: requests fall due at a fixed interval; a due request waits for a free
  // connection, and its latency counts from when it fell due.
  std::deque<clock_type::time_point> due;
  auto interval = o.rate > 0 ? std::chrono::duration_cast<clock_type::duration>(
                                   std::chrono::duration<double>(1.0 / o.rate))
                             : clock_type::duration::zero();
  auto next_due = start;

  auto send_on = [&](connection& c, clock_type::time_point when) {
    c.out = requests[static_cast<std::size_t>(sent) % requests.size()];
    c.busy = true;
    c.started = when;
    ++sent;
    while (!c.out.empty()) {
      auto n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n <= 0) die(std::string("send: ") + std::strerror(errno));
      c.out.erase(0, static_cast<std::size_t>(n));
    }
  };

  if (o.rate <= 0) {
    for (auto& c : conns) send_on(c, clock_type::now());
  }
  epoll_event events[256];
  char buf[65536];
  while (true) {
    auto now = clock_type::now();
    if (now >= stop_at) break;
    if (o.rate > 0) {
      while (next_due <= now) {
        due.push_back(next_due);
        next_due += interval;
      }
      for (auto& c : conns) {
        if (due.empty()) break;
        if (!c.busy) {
          send_on(c, due.front());
          due.pop_front();
        }
      }
    }
    int timeout_ms = o.rate > 0 ? 1 : 100;
    int n = epoll_wait(epoll, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      auto& c = conns[events[i].data.u64];
      auto got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0) die("the server closed a connection");
      c.in.append(buf, static_cast<std::size_t>(got));
      int status = 0;
      while (auto used = complete_response(c.in, status)) {
        c.in.erase(0, used);
        auto done = clock_type::now();
        if (c.started >= measure_from) {
          latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(done - c.started).count());
          ++statuses[status];
          if (status >= 400) ++errors;
        }
        c.busy = false;
        if (o.rate <= 0) send_on(c, done);
      }
    }
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    auto i = static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size() - 1));
    return latencies_ms[i];
  };
  std::printf(
      "{\"requests\": %zu, \"errors\": %ld, \"rps\": %.1f, \"p50_ms\": %.3f, "
      "\"p99_ms\": %.3f, \"p999_ms\": %.3f, \"max_ms\": %.3f, \"statuses\": {",
      latencies_ms.size(), errors, static_cast<double>(latencies_ms.size()) / o.duration, pct(0.5),
      pct(0.99), pct(0.999), latencies_ms.empty() ? 0.0 : latencies_ms.back());
  bool first = true;
  for (const auto& [status, count] : statuses) {
    std::printf("%s\"%d\": %ld", first ? "" : ", ", status, count);
    first = false;
  }
  std::printf("}}\n");
  return 0;
}
