-- GET availability for 31 days from a different day on each request, so that no request
-- finds its window among those the function keeps (64): each thread walks 90 days of its own,
-- from the benchmark's window on, all inside the bench project's 312 days of bookings.
-- `id` is the thread's number (latency.lua).
local counter = 0

function request()
  counter = counter + 1
  local from = tonumber(os.getenv("BENCH_WINDOW_EPOCH")) + (id * 90 + counter % 90) * 86400
  local path = string.format(
    "/api/projects/00000000-0000-4000-8000-000000000501/availability?serviceId=00000000-0000-4000-8000-000000000511&from=%s&to=%s",
    os.date("!%Y-%m-%dT%H:%M:%SZ", from), os.date("!%Y-%m-%dT%H:%M:%SZ", from + 31 * 86400))
  return wrk.format("GET", path)
end
