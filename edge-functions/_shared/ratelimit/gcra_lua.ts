// The GCRA of crates/usher-ratelimit as a Redis Lua script, so a batch of takes is one
// round trip and atomic: Redis runs a script to the end before any other command. It is
// kept in a TypeScript module rather than a .lua file so that it is part of the function's
// import graph and survives `supabase functions deploy` without static files.
//
// The script takes for a batch of requests, exactly as public.rate_limit_take_batch does
// in Postgres: the requests are decided one after the other, each seeing the states the
// earlier ones left, and each is all or nothing over its keys. When one key refuses, no
// key of that request changes, and the keys that would have admitted report their
// unchanged state (as a take of cost 0 would).
//
// KEYS are every request's keys, request by request. ARGV[1] holds the numbers, separated
// by commas: the number of requests; then, for each request, its cost, its time in Unix
// microseconds ("n" for Redis's own clock, read once per call) and its number of keys,
// followed by count, period_us and burst for each of its keys. The answer is one string
// too, six integers per key separated by commas: allowed (0/1), too_large (0/1),
// remaining, retry_after_us (-1 for none), reset_after_us, and the stored new TAT (-1
// when nothing was stored). One string each way costs the client far less to encode and
// parse than an argument and an integer reply per number, which was the most of a
// request's time on the function's side.
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
  if arg ~= 'n' then return tonumber(arg) end
  if clock == nil then
    local t = redis.call('TIME')
    clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
  end
  return clock
end

-- The crate's decide: {allowed, too_large, remaining, retry_after, reset_after, new_tat}.
local function decide(key, q, cost, now)
  local count, period, burst = q[1], q[2], q[3]
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

local arg = {}
for v in string.gmatch(ARGV[1], '[^,]+') do arg[#arg + 1] = v end

local out = {}
local a = 2
local k = 0
for _ = 1, tonumber(arg[1]) do
  local cost, now, n = tonumber(arg[a]), time_of(arg[a + 1]), tonumber(arg[a + 2])
  a = a + 3
  local quotas, decisions = {}, {}
  local all = true
  for i = 1, n do
    quotas[i] = {tonumber(arg[a]), tonumber(arg[a + 1]), tonumber(arg[a + 2])}
    a = a + 3
    decisions[i] = decide(KEYS[k + i], quotas[i], cost, now)
    if decisions[i][1] == 0 then all = false end
  end
  for i = 1, n do
    local d = decisions[i]
    if all then
      redis.call('SET', KEYS[k + i], string.format('%.0f', d[6]), 'PX', math.ceil(d[5] / 1000) + 1000)
    else
      -- It would have admitted, but nothing was taken: report it as a take of cost 0.
      if d[1] == 1 then d = decide(KEYS[k + i], quotas[i], 0, now) end
      d[6] = -1
    end
    for j = 1, 6 do out[#out + 1] = string.format('%.0f', d[j]) end
  end
  k = k + n
end
return table.concat(out, ',')
`;
