-- wrk script for one `make bench` case (see bench/run.py).
--
-- wrk -s bench/case.lua URL -- METHOD EXPECT HEADER BODY PHONE_BASE
--   METHOD      GET or POST
--   EXPECT      the envelope's success "code" (200 modern/v4, 0 platform): a 2xx
--               response whose body lacks "code":EXPECT counts as an error too
--               (v4 answers its errors with HTTP 200)
--   HEADER      "Name: value" or "-"
--   BODY        a JSON body or "-"; every "{phone}" becomes a fresh mainland
--               mobile number per request (distinct phones for send_code)
--   PHONE_BASE  first phone index for "{phone}"
-- done() prints one line "BENCH {json}" that bench/run.py reads.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  method, expect, header, body = args[1], args[2], args[3], args[4]
  phone_next = tonumber(args[5] or "0") + tid * 10000000
  bad = 0
  headers = {}
  if header ~= "-" then
    local name, value = header:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  if body == "-" then
    body = nil
  else
    headers["Content-Type"] = "application/json"
  end
  pattern = '"code":%s*' .. expect .. '[,}]'
  if not (body and body:find("{phone}", 1, true)) then
    fixed = wrk.format(method, nil, headers, body)
  end
end

function request()
  if fixed then
    return fixed
  end
  phone_next = phone_next + 1
  local phone = string.format("139%08d", phone_next % 100000000)
  return wrk.format(method, nil, headers, (body:gsub("{phone}", phone)))
end

function response(status, _, text)
  if status < 200 or status > 299 or not (text and text:find(pattern)) then
    bad = bad + 1
  end
end

function done(summary, latency, _)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_s": %.3f, "failed": %d, "socket_errors": %d, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, failed, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
