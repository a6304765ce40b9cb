-- wrk script for bench/rest_proxy_bench.py: every request POSTs the same body, read from
-- the file BENCH_BODY_FILE, with Content-Type BENCH_CONTENT_TYPE, over keep-alive
-- connections. With BENCH_DELAY_MS set, each connection waits that many milliseconds
-- after a response before its next request: a rate cap of connections * 1000 / delay
-- requests/s, used for the latency at a fixed load below the peak. Prints one line,
-- "WRK_RESULT {json}", when the run is done.
local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "status_errors": %d, ' ..
    '"socket_errors": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
