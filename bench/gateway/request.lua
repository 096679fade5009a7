-- wrk script of the gateway benchmark: one request shape for every target, read from the
-- environment, and a machine-readable summary line at the end.
--
--   BENCH_BODY_FILE      JSON body of every request (POST, Content-Type: application/json)
--   BENCH_HEADERS        extra headers, one "Name: value" per line
--   BENCH_ALT_BODY_FILE  optional second body; requests then alternate between the two (soak)
--   BENCH_DELAY_MS       optional pause (ms) each connection takes after an answer before its next
--                        request: paces the load to a fixed rate (connections × 1000 / delay per
--                        second, less the time answers take); wrk's latency excludes the pause
--
-- With no BENCH_ALT_BODY_FILE the script defines no request() function, so wrk sends one
-- pre-built request over and over, its fastest path: the load generator stays out of the figures.

local function read(path)
  local file = assert(io.open(path, "rb"))
  local content = file:read("*a")
  file:close()
  return content
end

wrk.method = "POST"
wrk.body = read(os.getenv("BENCH_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end

local alt_path = os.getenv("BENCH_ALT_BODY_FILE")
if alt_path then
  local alt_body = read(alt_path)
  local prepared = {}
  local turn = 0
  function init(args)
    prepared[1] = wrk.format(nil, nil, nil, wrk.body)
    prepared[2] = wrk.format(nil, nil, nil, alt_body)
  end
  function request()
    turn = turn % 2 + 1
    return prepared[turn]
  end
end

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms then
  function delay()
    return delay_ms
  end
end

-- Latencies are in microseconds; errors.status counts answers outside 2xx/3xx.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.2f,"stdev":%.2f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max))
end
