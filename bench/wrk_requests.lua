-- wrk's script for the benchmarks (bench/common.py, wrk_phase): sends the lines of a
-- requests file in turn (method, path, bearer token, body, and an Idempotency-Key or
-- nothing; tab-separated), starting
-- after `skip` lines, and reports its figures on one line for Python to read.
--   wrk -t1 -c16 -d5s -s bench/wrk_requests.lua http://127.0.0.1:PORT -- FILE SKIP

local requests = {}
local next_line = 1

function init(args)
   for line in io.lines(args[1]) do
      local method, path, token, rest = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local body, key = rest:match("^([^\t]*)\t(.*)$")
      if body == nil then
         body = rest
      end
      local headers = {}
      if key ~= nil and key ~= "" then
         headers["Idempotency-Key"] = key
      end
      if token ~= "" then
         headers["Authorization"] = "Bearer " .. token
      end
      if body ~= "" then
         headers["Content-Type"] = "application/json"
      else
         body = nil
      end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
   end
   next_line = (tonumber(args[2]) or 0) % #requests + 1
end

function request()
   local message = requests[next_line]
   next_line = next_line % #requests + 1
   return message
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format("wrk-report %d %d %d %d %d %d %d %d %d\n",
      summary.duration, summary.requests, errors.status, errors.connect, errors.read,
      errors.write, errors.timeout, latency:percentile(50), latency:percentile(99)))
end
