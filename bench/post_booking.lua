-- POST /api/bookings with a fresh, never-overlapping 30-minute slot per request: each thread
-- walks its own sequence of slots from 2030 on.
-- `id` is the thread's number (latency.lua).
local counter = 0

function request()
  counter = counter + 1
  local slot = counter * 8 + id
  local at = os.date("!%Y-%m-%dT%H:%M:%S.000Z", 1893456000 + slot * 1800)
  local body = string.format(
    '{"serviceId":"00000000-0000-4000-8000-000000000101","scheduledAt":"%s","duration":30}', at)
  return wrk.format("POST", "/api/bookings", {["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. os.getenv("BENCH_WRITER_TOKEN")}, body)
end
