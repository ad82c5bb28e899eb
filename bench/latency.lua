-- wrk script: requests PATH_FORMAT with a random customer number
-- (string.format(path, n), n in 1..N), and prints the latency percentiles.
-- Arguments after `--`: PATH_FORMAT N [METHOD BODY_FORMAT]
local fmt, n, method, body_fmt
function init(args)
  fmt = args[1]
  n = tonumber(args[2] or "1")
  method = args[3] or "GET"
  body_fmt = args[4]
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  local k = math.random(1, n)
  local body = nil
  if body_fmt then body = string.format(body_fmt, k) end
  return wrk.format(method, string.format(fmt, k), nil, body)
end
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f rps=%.0f requests=%d errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1000000), summary.requests, errors))
end
