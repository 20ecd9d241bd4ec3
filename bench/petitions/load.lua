-- wrk script for scripts/bench_petitions.py: GETs a page with a session cookie, or files petitions.
--
--   wrk ... -s bench/petitions/load.lua URL -- get  COOKIE
--   wrk ... -s bench/petitions/load.lua URL -- file COOKIE CONTENT_TYPE HEAD_FILE TAIL_FILE PREFIX
--
-- "file" POSTs a prebuilt multipart body: HEAD_FILE ends where the `_submission` value goes and TAIL_FILE
-- holds the rest (the form version, the two fields, the 1 MB PDF), so every request carries a fresh
-- submission token PREFIX..thread..counter and files a new petition.
-- At the end it prints one line the Python side reads:
--   BENCH requests=N p50=µs p95=µs p99=µs max=µs s2xx=N s3xx=N s4xx=N s5xx=N connect=N read=N write=N timeout=N status=N

local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function init(args)
  mode = args[1]
  n, s2, s3, s4, s5 = 0, 0, 0, 0, 0
  local headers = { ["Cookie"] = args[2] }
  if mode == "file" then
    headers["Content-Type"] = args[3]
    head, tail, prefix = slurp(args[4]), slurp(args[5]), args[6]
    post_headers = headers
  elseif mode == "get" then
    static_request = wrk.format("GET", nil, headers, nil)
  else
    error("mode must be get or file")
  end
end

function request()
  if static_request then return static_request end
  n = n + 1
  local token = string.format("%s%02dx%09d", prefix, tid, n)
  return wrk.format("POST", nil, post_headers, head .. token .. tail)
end

function response(status, headers, body)
  if status < 300 then s2 = s2 + 1
  elseif status < 400 then s3 = s3 + 1
  elseif status < 500 then s4 = s4 + 1
  else s5 = s5 + 1 end
end

function done(summary, latency, requests)
  local t = { s2 = 0, s3 = 0, s4 = 0, s5 = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50=%d p95=%d p99=%d max=%d s2xx=%d s3xx=%d s4xx=%d s5xx=%d connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    t.s2, t.s3, t.s4, t.s5, e.connect, e.read, e.write, e.timeout, e.status))
end
