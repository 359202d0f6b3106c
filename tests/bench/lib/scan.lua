-- wrk script for tests/bench/scan_throughput.ts: every thread POSTs scans of the codes in
-- SCAN_CODES (one per line) in order, so each ticket is scanned once by each thread, at
-- another door: the threads race to admit it.
local codes = {}
for line in io.lines(os.getenv("SCAN_CODES")) do codes[#codes + 1] = line end
local event = os.getenv("SCAN_EVENT")
local token = os.getenv("SCAN_TOKEN")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("door", "door-" .. threads)
end

local i = 0
function request()
  i = i + 1
  local body = '{"code":"' .. codes[(i - 1) % #codes + 1] .. '","event_id":"' .. event ..
    '","device_id":"' .. door .. '"}'
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
