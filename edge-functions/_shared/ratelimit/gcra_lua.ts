// The GCRA of crates/usher-ratelimit as a Redis Lua script, so a take is one round trip
// and atomic: Redis runs a script to the end before any other command. It is kept in a
// TypeScript module rather than a .lua file so that it is part of the function's import
// graph and survives `supabase functions deploy` without static files.
//
// ARGV[1] is the mode:
//   "each": independent takes, one per key, applied in order (a key may appear twice);
//   "all":  one take over every key, all or nothing: when any key refuses, no key
//           changes, and the keys that would have admitted report their unchanged state
//           (as a take of cost 0 would).
// Then for key i, five arguments from ARGV[5i - 3]: count, period_us, burst, cost, and the
// time in Unix microseconds ("" for Redis's own clock, read once per call).
// Returns six integers per key: allowed (0/1), too_large (0/1), remaining, retry_after_us
// (-1 for none), reset_after_us, and the stored new TAT (-1 when nothing was stored).
//
// Lua numbers are doubles, exact for integers below 2^53 (Unix microseconds are about
// 2^51), and floor of a quotient of two such integers is exact, so the arithmetic below
// gives the crate's integer results. The TAT is written with %.0f because Lua 5.1 prints
// large numbers in %.14g, which would round them.
//
// A key expires one second after its reset time: its state is then in the past, which
// means "full burst" exactly like a missing key, so expiry changes no decision. The second
// of slack covers callers that pass their own clock (tests, replays).
export const gcraLua = `
local clock = nil
local function time_of(arg)
  if arg ~= '' then return tonumber(arg) end
  if clock == nil then
    local t = redis.call('TIME')
    clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
  end
  return clock
end

local function args_of(i)
  local b = 5 * i - 3
  return tonumber(ARGV[b]), tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), time_of(ARGV[b + 4])
end

-- The crate's decide: {allowed, too_large, remaining, retry_after, reset_after, new_tat}.
local function decide(key, count, period, burst, cost, now)
  if cost > burst then return {0, 1, 0, -1, 0, -1} end
  local interval = math.floor(period / count)
  local tau = interval * burst
  local tat = now
  local state = tonumber(redis.call('GET', key))
  if state ~= nil and state > now then tat = state end
  local candidate = tat + interval * cost
  if candidate - now > tau then
    local reset = tat - now
    local remaining = 0
    if tau - reset > 0 then remaining = math.floor((tau - reset) / interval) end
    return {0, 0, remaining, candidate - tau - now, reset, -1}
  end
  local reset = candidate - now
  return {1, 0, math.floor((tau - reset) / interval), -1, reset, candidate}
end

local function store(key, d)
  redis.call('SET', key, string.format('%.0f', d[6]), 'PX', math.ceil(d[5] / 1000) + 1000)
end

local out = {}
local function emit(d)
  for j = 1, 6 do out[#out + 1] = d[j] end
end

if ARGV[1] == 'each' then
  for i = 1, #KEYS do
    local d = decide(KEYS[i], args_of(i))
    if d[1] == 1 then store(KEYS[i], d) end
    emit(d)
  end
  return out
end

local decisions = {}
local all = true
for i = 1, #KEYS do
  decisions[i] = decide(KEYS[i], args_of(i))
  if decisions[i][1] == 0 then all = false end
end
for i = 1, #KEYS do
  local d = decisions[i]
  if all then
    store(KEYS[i], d)
  else
    if d[1] == 1 then
      -- It would have admitted, but nothing was taken: report it as a take of cost 0.
      local count, period, burst, _, now = args_of(i)
      d = decide(KEYS[i], count, period, burst, 0, now)
    end
    d[6] = -1
  end
  emit(d)
end
return out
`;
