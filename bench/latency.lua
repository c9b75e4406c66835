-- Prepended to every wrk script bench/run uses.

-- Each thread's number (0, 1, ...) as `id`, for scripts that give every request its own slot or
-- window. A global on purpose: setup() sets it in each thread's own state, which a local
-- (captured by request() when the script loads) would never see.
local threads = 0
id = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

-- Prints one machine-readable line after a run: requests, requests/s, p50 and p99 in milliseconds, errors.
function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d rps=%.1f p50=%.3f p99=%.3f non2xx_or_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors))
end
