-- Rate limiting, second version: one SQL function takes for a whole batch of requests,
-- each over its own keys and all or nothing, and reads the clock only once it holds the
-- locks of every key in the batch.
--
-- The first version (20261127000300_rate_limits.sql) read the time before it had the
-- rows: rate_limit_take_all in its DECLARE, rate_limit_take before its upsert. A take
-- that queued behind another's lock was then judged at the earlier time, so a burst of
-- five on a fresh key could admit four and refuse one that was within the quota. And the
-- endpoints' two-key takes (rate_limit_take_all) went one statement per request, which is
-- what let a flood of them exhaust the connection pool. rate_limit_take_batch replaces
-- rate_limit_take, rate_limit_take_many and rate_limit_take_all: the edge functions send
-- every request that arrives while their last call is out in one call, and a request of
-- one key is a batch element like any other.
--
-- The GCRA below is the crate's (crates/usher-ratelimit), in integers, and
-- tests/ratelimit_vectors_test.ts replays tests/vectors/gcra.json and random sequences
-- through it against the wasm build and the Lua script.
--
-- Errors of this file's own, for callers' bugs rather than anything a client sent:
--   UR101  the arguments of rate_limit_take_batch are malformed (array lengths, a quota
--          that is not a quota, a negative cost, a key twice in one request);
--   UR102  email_rate_limit_take got something that is not an e-mail address;
--   UR103  rate_limit_take_batch was called in a transaction stricter than READ COMMITTED.

drop function public.email_rate_limit_take(text, bigint);
drop function public.rate_limit_take_all(text[], integer[], bigint[], integer[], bigint, bigint);
drop function public.rate_limit_take_many(text[], integer[], bigint[], integer[], bigint[], bigint[]);
drop function public.rate_limit_take(text, integer, bigint, integer, bigint, bigint);
drop function public.rate_limit_decide(bigint, integer, bigint, bigint, bigint);
drop function public.rate_limit_interval_us(integer, bigint, integer);
drop type public.rate_limit_decision;
-- Only rate_limit_take's single-statement upsert needed the TAT it replaced.
alter table public.rate_limits drop column prev_tat_us;

-- Takes for a batch of requests. Element i of p_keys, p_counts, p_periods_us and p_bursts
-- is one key of request p_requests[i] (numbered from 1, in order, every request at least
-- one key); p_costs and p_nows_us have one element per request (a null time means the
-- database's clock). Requests are decided one after the other in their order, each seeing
-- the states the earlier ones left, and each all or nothing: when one of its keys refuses,
-- none of its keys changes, and those that would have admitted report their unchanged
-- state, as a take of cost 0 would.
--
-- The answer is flat, six integers per key in the order given: allowed (1/0), too_large
-- (1/0), remaining, retry_after_us (-1 for none), reset_after_us, and the key's new TAT
-- (-1 when nothing was stored): the integers the Lua script answers too
-- (edge-functions/_shared/ratelimit/gcra_lua.ts), so one reader (store.ts) serves both.
--
-- Locks: a transaction-scoped advisory lock per key (class 1380712448, 'RL\0\0', and the
-- key's hashtext), taken in hash order so that batches over overlapping keys wait for
-- each other instead of deadlocking. Every writer of a key's row holds its lock, but for
-- the cleanup job, which deletes only rows whose TAT has passed (the same as no row) and
-- checks that again under the row's lock. So the states read after the locks are the
-- latest, a key without a row included, and only the keys a request admits are written:
-- a refusal writes nothing, and a batch of refusals commits without a WAL flush. The
-- lock makes the read safe in READ COMMITTED only, where every statement sees what was
-- committed before it; in a stricter transaction the function refuses with UR103. A batch
-- waits at most lock_timeout (2 s, the edge function's own bound on a call) for a lock,
-- and then fails with 55P03, which the edge function counts as the store not answering.
-- The clock is read after the last lock is granted.
create function public.rate_limit_take_batch(
  p_keys text[], p_counts integer[], p_periods_us bigint[], p_bursts integer[],
  p_requests integer[], p_costs bigint[], p_nows_us bigint[]
)
returns bigint[]
language plpgsql volatile security definer
set search_path = ''
set lock_timeout = '2s'
as $$
declare
  v_n integer := coalesce(cardinality(p_keys), 0);
  v_r integer := coalesce(cardinality(p_costs), 0);
  -- A key's slot is the index of its first occurrence in p_keys; states are kept by slot.
  v_slot integer[];
  v_state bigint[];
  v_changed boolean[];
  v_row record;
  v_clock bigint;
  v_out bigint[];
  -- The request being decided: keys v_first..v_last, at v_now, of v_cost.
  v_first integer := 1;
  v_last integer;
  v_now bigint;
  v_cost bigint;
  v_all boolean;
  -- One key's decision.
  v_interval bigint;
  v_tau bigint;
  v_tat bigint;
  v_new_tat bigint;
  v_new bigint[];
  i integer;
  j integer;
begin
  if v_n = 0 or v_r = 0 or cardinality(p_counts) <> v_n or cardinality(p_periods_us) <> v_n
     or cardinality(p_bursts) <> v_n or cardinality(p_requests) <> v_n or cardinality(p_nows_us) <> v_r
     or p_requests[1] <> 1 or p_requests[v_n] <> v_r then
    raise exception 'rate_limit_take_batch needs a count, period, burst and request per key, and a cost and time per request'
      using errcode = 'UR101';
  end if;
  if array_position(p_keys, null) is not null then
    raise exception 'rate_limit_take_batch keys must not be null' using errcode = 'UR101';
  end if;
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception 'rate_limit_take_batch reads what its locks protect, which needs READ COMMITTED (got %)',
      current_setting('transaction_isolation') using errcode = 'UR103';
  end if;
  for i in 1..v_n loop
    if i > 1 and (p_requests[i] is null or p_requests[i] not in (p_requests[i - 1], p_requests[i - 1] + 1)) then
      raise exception 'rate_limit_take_batch request numbers must count up from 1 without gaps (key %)', i
        using errcode = 'UR101';
    end if;
    if i = 1 or p_requests[i] <> p_requests[i - 1] then
      v_first := i;
    end if;
    v_slot[i] := array_position(p_keys, p_keys[i]);
    for j in v_first..i - 1 loop
      if v_slot[j] = v_slot[i] then
        raise exception 'rate_limit_take_batch: key % appears twice in request %', i, p_requests[i]
          using errcode = 'UR101';
      end if;
    end loop;
  end loop;
  v_first := 1;
  -- Filled up front: an array first assigned at element k starts at k.
  v_state := array_fill(null::bigint, array[v_n]);
  v_changed := array_fill(false, array[v_n]);

  perform pg_advisory_xact_lock(1380712448, h)
  from (select distinct hashtext(k) as h from unnest(p_keys) k) d
  order by h;
  -- Every key is ours now: this is the instant the batch is decided at.
  v_clock := (extract(epoch from clock_timestamp()) * 1000000)::bigint;

  -- Parameters take the collation of the call's arguments, and a key written as
  -- convert_from(..., 'UTF8') (edge-functions/_shared/sql_text.ts) has collation "C", in
  -- which rate_limits' primary key (in the default collation) cannot be searched: the
  -- collation is therefore spelt out, or every lookup would scan the table.
  for v_row in
    select r.key, r.tat_us from public.rate_limits r where r.key = any (p_keys collate "default")
  loop
    v_state[array_position(p_keys, v_row.key collate "default")] := v_row.tat_us;
  end loop;

  while v_first <= v_n loop
    v_last := v_first;
    while v_last < v_n and p_requests[v_last + 1] = p_requests[v_first] loop
      v_last := v_last + 1;
    end loop;
    v_now := coalesce(p_nows_us[p_requests[v_first]], v_clock);
    v_cost := p_costs[p_requests[v_first]];
    if v_cost is null or v_cost < 0 then
      raise exception 'rate limit cost must be >= 0 (got %)', v_cost using errcode = 'UR101';
    end if;

    -- Each key alone, as the crate's decide; no row, a TAT of 0 (rows the first version
    -- left) or one in the past all mean no state.
    v_all := true;
    for i in v_first..v_last loop
      if not coalesce(p_counts[i] >= 1 and p_bursts[i] >= 1 and p_periods_us[i] >= p_counts[i]
                      and p_periods_us[i] / p_counts[i] <= 9223372036854775807 / p_bursts[i], false) then
        raise exception 'rate limit quota needs count >= 1, burst >= 1 and an emission interval of at least 1 us that fits with the burst (got count %, period % us, burst %)',
          p_counts[i], p_periods_us[i], p_bursts[i] using errcode = 'UR101';
      end if;
      v_interval := p_periods_us[i] / p_counts[i];
      v_tau := v_interval * p_bursts[i];
      j := 6 * (i - 1);
      if v_cost > p_bursts[i] then
        v_out[j + 1] := 0; v_out[j + 2] := 1; v_out[j + 3] := 0; v_out[j + 4] := -1; v_out[j + 5] := 0;
        v_all := false;
        continue;
      end if;
      v_tat := greatest(nullif(v_state[v_slot[i]], 0), v_now);
      v_new_tat := v_tat + v_interval * v_cost;
      v_out[j + 2] := 0;
      if v_new_tat - v_now > v_tau then
        v_out[j + 1] := 0;
        v_out[j + 3] := greatest(0, (v_tau - (v_tat - v_now)) / v_interval);
        v_out[j + 4] := v_new_tat - v_tau - v_now;
        v_out[j + 5] := v_tat - v_now;
        v_all := false;
      else
        v_out[j + 1] := 1;
        v_out[j + 3] := (v_tau - (v_new_tat - v_now)) / v_interval;
        v_out[j + 4] := -1;
        v_out[j + 5] := v_new_tat - v_now;
        v_new[i] := v_new_tat;
      end if;
    end loop;

    for i in v_first..v_last loop
      j := 6 * (i - 1);
      if v_all then
        v_state[v_slot[i]] := v_new[i];
        v_changed[v_slot[i]] := true;
        v_out[j + 6] := v_new[i];
      else
        v_out[j + 6] := -1;
        if v_out[j + 1] = 1 then
          -- It would have admitted, but nothing was taken: report a take of cost 0, which
          -- the state it would have replaced still admits.
          v_tat := greatest(nullif(v_state[v_slot[i]], 0), v_now);
          v_interval := p_periods_us[i] / p_counts[i];
          v_out[j + 3] := (v_interval * p_bursts[i] - (v_tat - v_now)) / v_interval;
          v_out[j + 5] := v_tat - v_now;
        end if;
      end if;
    end loop;
    v_first := v_last + 1;
  end loop;

  -- Slots are distinct keys, so no row is written twice.
  insert into public.rate_limits as r (key, tat_us)
  select p_keys[s], v_state[s] from generate_subscripts(v_changed, 1) s where v_changed[s]
  on conflict (key) do update set tat_us = excluded.tat_us;
  return v_out;
end
$$;

-- The e-mail limits the e-mail queue applies before each send: 100 per minute for the
-- whole platform and 10 per minute per recipient, both or neither. A refusal is not a
-- failure: the queue defers the message by retry_after_us and tries again, never drops it.
-- Recipients are compared case-insensitively, as mail systems do for the domain and as
-- our users expect for the whole address.
create function public.email_rate_limit_take(p_recipient text, p_now_us bigint default null)
returns table (allowed boolean, retry_after_us bigint, limited_by text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_recipient text := lower(btrim(p_recipient));
  v bigint[];
begin
  if v_recipient is null or v_recipient !~ '^[^@\s]+@[^@\s]+$' then
    raise exception 'email_rate_limit_take needs a recipient address (got %)', coalesce(p_recipient, 'null')
      using errcode = 'UR102';
  end if;
  -- One request of two keys; elements 1-6 answer for the global key, 7-12 for the recipient.
  v := public.rate_limit_take_batch(
    array['email:global', 'email:to:' || v_recipient], array[100, 10], array[60000000, 60000000]::bigint[],
    array[100, 10], array[1, 1], array[1]::bigint[], array[p_now_us]);
  allowed := v[1] = 1 and v[7] = 1;
  -- The wait is the longest of the refusing limits', so one retry suffices.
  retry_after_us := greatest(case when v[1] = 0 then v[4] end, case when v[7] = 0 then v[10] end);
  limited_by := concat_ws(',', case when v[1] = 0 then 'global' end, case when v[7] = 0 then 'recipient' end);
  if limited_by = '' then
    limited_by := null;
  end if;
  return next;
end
$$;

revoke execute on function public.rate_limit_take_batch(text[], integer[], bigint[], integer[], integer[], bigint[], bigint[])
  from public, anon, authenticated;
revoke execute on function public.email_rate_limit_take(text, bigint) from public, anon, authenticated;
grant execute on function public.rate_limit_take_batch(text[], integer[], bigint[], integer[], integer[], bigint[], bigint[])
  to service_role;
grant execute on function public.email_rate_limit_take(text, bigint) to service_role;
