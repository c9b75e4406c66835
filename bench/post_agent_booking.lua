-- POST /api/projects/{id}/bookings with the bench project's agent key, a fresh free slot per
-- request: each thread walks its own half-hours from 2030 on, 08:00-15:00 UTC (inside the
-- project's 08:00-20:00 Berlin hours in winter and summer alike). BENCH_SLOT_OFFSET moves a
-- run's slots past an earlier run's (500,000 half-hours are about 98 years).
-- `id` is the thread's number (latency.lua).
local counter = 0

function request()
  counter = counter + 1
  local slot = counter * 8 + id + tonumber(os.getenv("BENCH_SLOT_OFFSET") or "0")
  local day, half_hour = math.floor(slot / 14), slot % 14
  local at = os.date("!%Y-%m-%dT%H:%M:%S.000Z", 1893484800 + day * 86400 + half_hour * 1800)
  local body = string.format(
    '{"serviceId":"00000000-0000-4000-8000-000000000511","scheduledAt":"%s","customerName":"Bench Caller"}', at)
  return wrk.format("POST", "/api/projects/00000000-0000-4000-8000-000000000501/bookings",
    {["content-type"] = "application/json",
     ["authorization"] = "Bearer " .. os.getenv("BENCH_AGENT_KEY")}, body)
end
