-- Rate limiting in Postgres: the GCRA of crates/usher-ratelimit, with one row per key
-- holding the key's theoretical arrival time (TAT) in Unix microseconds. The formulas
-- below are the crate's, in integers, so that both give the same answers on
-- tests/vectors/gcra.json (tests/ratelimit_vectors_test.ts replays it through here).
--
-- Only the service role may touch any of this: the limiter is called by edge functions
-- with the database URL, never by a client through the API.

create table public.rate_limits (
  key text primary key check (length(key) between 1 and 512),
  tat_us bigint not null,
  -- The TAT before the last take, written by the same statement, so that the statement's
  -- RETURNING clause can tell an admission from a refusal without a second read.
  prev_tat_us bigint
)
-- Every take rewrites its row. With no index on the columns it changes and room left in
-- each page, those rewrites are HOT updates: no index entry per take, and little bloat.
-- The once-a-minute cleanup scans the table instead of using an index on tat_us.
with (fillfactor = 70);

alter table public.rate_limits enable row level security;
-- No policy: with RLS on and no policy, a client role sees no rows even if a grant slips in.
revoke all on public.rate_limits from public, anon, authenticated;
grant select, insert, update, delete on public.rate_limits to service_role;

-- The emission interval T = period / count (floored) of a quota, after checking the quota
-- the way the crate's Quota constructor does. A bad quota is a caller's bug, reported with
-- SQLSTATE 22023 (invalid_parameter_value) and the offending values.
create function public.rate_limit_interval_us(p_count integer, p_period_us bigint, p_burst integer)
returns bigint
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_count is null or p_count < 1 or p_burst is null or p_burst < 1 then
    raise exception 'rate limit quota needs count >= 1 and burst >= 1 (got count %, burst %)', p_count, p_burst
      using errcode = '22023';
  end if;
  if p_period_us is null or p_period_us < 1 then
    raise exception 'rate limit period must be at least 1 us (got %)', p_period_us using errcode = '22023';
  end if;
  if p_period_us / p_count < 1 then
    raise exception 'rate limit emission interval (period % us / count %) is below one microsecond', p_period_us, p_count
      using errcode = '22023';
  end if;
  if p_period_us / p_count > 9223372036854775807 / p_burst then
    raise exception 'rate limit tolerance (interval % us * burst %) does not fit in bigint', p_period_us / p_count, p_burst
      using errcode = '22023';
  end if;
  return p_period_us / p_count;
end
$$;

-- One decision, as the crate's `Decision` flattened: tat_us is the new state when allowed.
create type public.rate_limit_decision as (
  allowed boolean, too_large boolean, remaining integer,
  retry_after_us bigint, reset_after_us bigint, tat_us bigint
);

-- The crate's `decide`, as a pure function of (quota, stored state, now, cost). Both the
-- single-key and the multi-key takes use it, so the formulas are written once in SQL.
-- Inputs within a tolerance of the bigint limits raise numeric_value_out_of_range where
-- the crate saturates; Unix microseconds are nowhere near them.
create function public.rate_limit_decide(
  p_interval_us bigint, p_burst integer, p_state_us bigint, p_now_us bigint, p_cost bigint
)
returns public.rate_limit_decision
language plpgsql immutable
set search_path = ''
as $$
declare
  v_tau bigint := p_interval_us * p_burst;
  v_tat bigint := greatest(coalesce(p_state_us, p_now_us), p_now_us);
  v_new_tat bigint;
  d public.rate_limit_decision;
begin
  if p_cost > p_burst then
    d := row(false, true, 0, null, 0, null);
    return d;
  end if;
  v_new_tat := v_tat + p_interval_us * p_cost;
  if v_new_tat - p_now_us > v_tau then
    d := row(false, false, greatest(0, (v_tau - (v_tat - p_now_us)) / p_interval_us),
             v_new_tat - v_tau - p_now_us, v_tat - p_now_us, null);
  else
    d := row(true, false, (v_tau - (v_new_tat - p_now_us)) / p_interval_us,
             null, v_new_tat - p_now_us, v_new_tat);
  end if;
  return d;
end
$$;

-- Takes `p_cost` units from one key, deciding and storing in one statement: the upsert
-- locks the key's row (or inserts it), computes the new TAT from the locked value, and
-- keeps the value it replaced in prev_tat_us so the decision can be reported from the
-- RETURNING row. Concurrent takes on one key are therefore serialised by the row lock and
-- each sees the previous one's result: there is no read-then-write window.
--
-- The decision is rate_limit_decide's, written out here because this function sits in
-- front of every limited request and a nested PL/pgSQL call (with its own search_path
-- switch) costs a measurable share of it; tests/ratelimit_vectors_test.ts checks this
-- path and the multi-key one against the same vectors.
--
-- tat_us in the result is the key's new state when allowed and null otherwise. With
-- p_now_us null the time is the database's clock (not the transaction's start).
create function public.rate_limit_take(
  p_key text, p_count integer, p_period_us bigint, p_burst integer,
  p_cost bigint default 1, p_now_us bigint default null
)
returns public.rate_limit_decision
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_now bigint := coalesce(p_now_us, (extract(epoch from clock_timestamp()) * 1000000)::bigint);
  v_interval bigint;
  v_tau bigint;
  v_inc bigint;
  v_prev bigint;
  v_tat bigint;
  v_new_tat bigint;
  d public.rate_limit_decision;
begin
  if not coalesce(p_count >= 1 and p_burst >= 1 and p_period_us >= p_count
                  and p_period_us / p_count <= 9223372036854775807 / p_burst, false) then
    -- Raises the error that names what is wrong with the quota.
    perform public.rate_limit_interval_us(p_count, p_period_us, p_burst);
  end if;
  if p_cost is null or p_cost < 0 then
    raise exception 'rate limit cost must be >= 0 (got %)', p_cost using errcode = '22023';
  end if;
  if p_key is null then
    raise exception 'rate limit key must not be null' using errcode = '22023';
  end if;
  v_interval := p_period_us / p_count;
  v_tau := v_interval * p_burst;
  if p_cost > p_burst then
    -- Decided from the cost alone; the stored state is neither read nor changed.
    d := row(false, true, 0, null, 0, null);
    return d;
  end if;
  v_inc := v_interval * p_cost;
  -- A new key is always admitted (its cost fits the burst), at TAT now + T * cost.
  insert into public.rate_limits as r (key, tat_us, prev_tat_us)
  values (p_key, v_now + v_inc, null)
  on conflict (key) do update
    set prev_tat_us = r.tat_us,
        tat_us = case
          when greatest(r.tat_us, v_now) + v_inc - v_now <= v_tau then greatest(r.tat_us, v_now) + v_inc
          else r.tat_us
        end
  returning r.prev_tat_us into v_prev;

  v_tat := greatest(coalesce(v_prev, v_now), v_now);
  v_new_tat := v_tat + v_inc;
  if v_new_tat - v_now > v_tau then
    d := row(false, false, greatest(0, (v_tau - (v_tat - v_now)) / v_interval),
             v_new_tat - v_tau - v_now, v_tat - v_now, null);
  else
    d := row(true, false, (v_tau - (v_new_tat - v_now)) / v_interval, null, v_new_tat - v_now, v_new_tat);
  end if;
  return d;
end
$$;

-- Several independent takes in one call: what PostgresStore sends when concurrent requests
-- in one function instance need decisions at the same moment, so that they share one
-- statement and one commit instead of paying for one each. Each element is exactly a
-- rate_limit_take; the elements are applied in key order, so that two batches over the
-- same keys lock rows in the same order and cannot deadlock. The result has one row per
-- element, in the order given (ord counts from 1).
create function public.rate_limit_take_many(
  p_keys text[], p_counts integer[], p_periods_us bigint[], p_bursts integer[], p_costs bigint[], p_nows_us bigint[]
)
returns table (ord integer, allowed boolean, too_large boolean, remaining integer,
               retry_after_us bigint, reset_after_us bigint, tat_us bigint)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_n integer := coalesce(cardinality(p_keys), 0);
  v_results public.rate_limit_decision[];
  v_i integer;
begin
  if cardinality(p_counts) <> v_n or cardinality(p_periods_us) <> v_n or cardinality(p_bursts) <> v_n
     or cardinality(p_costs) <> v_n or cardinality(p_nows_us) <> v_n then
    raise exception 'rate_limit_take_many needs one count, period, burst, cost and time per key' using errcode = '22023';
  end if;
  for v_i in select t.i from unnest(p_keys) with ordinality as t (k, i) order by t.k, t.i loop
    v_results[v_i] := public.rate_limit_take(p_keys[v_i], p_counts[v_i], p_periods_us[v_i], p_bursts[v_i],
                                             p_costs[v_i], p_nows_us[v_i]);
  end loop;
  return query select r.i::integer, r.a, r.tl, r.rem, r.retry, r.reset, r.tat
               from unnest(v_results) with ordinality as r (a, tl, rem, retry, reset, tat, i)
               order by r.i;
end
$$;

-- Takes `p_cost` units from several keys at once, all or nothing: the state of every key
-- changes only when every key admits the request. The rows are locked in key order, so
-- two takes over overlapping keys cannot deadlock. One result row per key, in the order
-- given. When every key admits, each row is that key's decision and tat_us its new state;
-- otherwise the refusing keys report their refusal, the others their unchanged state (as
-- a take of cost 0 would), and tat_us is null: `bool_and(allowed)` is the overall answer.
create function public.rate_limit_take_all(
  p_keys text[], p_counts integer[], p_periods_us bigint[], p_bursts integer[],
  p_cost bigint default 1, p_now_us bigint default null
)
returns table (
  key text, allowed boolean, too_large boolean, remaining integer,
  retry_after_us bigint, reset_after_us bigint, tat_us bigint
)
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_now bigint := coalesce(p_now_us, (extract(epoch from clock_timestamp()) * 1000000)::bigint);
  v_n integer := coalesce(cardinality(p_keys), 0);
  v_intervals bigint[];
  v_states bigint[];
  v_decisions public.rate_limit_decision[];
  v_all boolean := true;
  v_locked integer;
  v_row record;
begin
  if v_n = 0 or cardinality(p_counts) <> v_n or cardinality(p_periods_us) <> v_n or cardinality(p_bursts) <> v_n then
    raise exception 'rate_limit_take_all needs one count, period and burst per key' using errcode = '22023';
  end if;
  if (select count(distinct k) from unnest(p_keys) k) <> v_n or array_position(p_keys, null) is not null then
    raise exception 'rate_limit_take_all keys must be distinct and not null' using errcode = '22023';
  end if;
  if p_cost is null or p_cost < 0 then
    raise exception 'rate limit cost must be >= 0 (got %)', p_cost using errcode = '22023';
  end if;
  for i in 1..v_n loop
    v_intervals[i] := public.rate_limit_interval_us(p_counts[i], p_periods_us[i], p_bursts[i]);
  end loop;

  -- Lock every key's row in key order, creating missing rows with a TAT of 0: far in the
  -- past, which the decision treats exactly like a key never seen. The cleanup job skips
  -- locked rows but may delete one of ours between the insert and the lock; then the loop
  -- inserts it again.
  loop
    insert into public.rate_limits (key, tat_us)
    select k, 0 from unnest(p_keys) k order by k
    on conflict do nothing;
    v_locked := 0;
    for v_row in
      select i.ord, r.tat_us
      from unnest(p_keys) with ordinality as i (k, ord)
      join public.rate_limits r on r.key = i.k
      order by i.k
      for update of r
    loop
      v_states[v_row.ord] := v_row.tat_us;
      v_locked := v_locked + 1;
    end loop;
    exit when v_locked = v_n;
  end loop;

  for i in 1..v_n loop
    v_decisions[i] := public.rate_limit_decide(v_intervals[i], p_bursts[i], v_states[i], v_now, p_cost);
    v_all := v_all and (v_decisions[i]).allowed;
  end loop;

  for i in 1..v_n loop
    if v_all then
      update public.rate_limits r set prev_tat_us = r.tat_us, tat_us = (v_decisions[i]).tat_us
      where r.key = p_keys[i];
    elsif (v_decisions[i]).allowed then
      -- Nothing was taken, so a key that would have admitted reports its unchanged state.
      v_decisions[i] := public.rate_limit_decide(v_intervals[i], p_bursts[i], v_states[i], v_now, 0);
    end if;
    key := p_keys[i];
    allowed := (v_decisions[i]).allowed;
    too_large := (v_decisions[i]).too_large;
    remaining := (v_decisions[i]).remaining;
    retry_after_us := (v_decisions[i]).retry_after_us;
    reset_after_us := (v_decisions[i]).reset_after_us;
    tat_us := case when v_all then (v_decisions[i]).tat_us end;
    return next;
  end loop;
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
begin
  if v_recipient is null or v_recipient !~ '^[^@\s]+@[^@\s]+$' then
    raise exception 'email_rate_limit_take needs a recipient address (got %)', coalesce(p_recipient, 'null')
      using errcode = '22023';
  end if;
  return query
  with d as (
    select * from public.rate_limit_take_all(
      array['email:global', 'email:to:' || v_recipient],
      array[100, 10], array[60000000, 60000000]::bigint[], array[100, 10], 1, p_now_us)
  )
  select bool_and(d.allowed),
         -- The wait is the longest of the refusing limits', so one retry suffices.
         max(d.retry_after_us) filter (where not d.allowed),
         string_agg(case d.key when 'email:global' then 'global' else 'recipient' end, ',' order by d.key)
           filter (where not d.allowed)
  from d;
end
$$;

revoke execute on function public.rate_limit_interval_us(integer, bigint, integer) from public, anon, authenticated;
revoke execute on function public.rate_limit_decide(bigint, integer, bigint, bigint, bigint) from public, anon, authenticated;
revoke execute on function public.rate_limit_take(text, integer, bigint, integer, bigint, bigint) from public, anon, authenticated;
revoke execute on function public.rate_limit_take_many(text[], integer[], bigint[], integer[], bigint[], bigint[]) from public, anon, authenticated;
revoke execute on function public.rate_limit_take_all(text[], integer[], bigint[], integer[], bigint, bigint) from public, anon, authenticated;
revoke execute on function public.email_rate_limit_take(text, bigint) from public, anon, authenticated;
grant execute on function public.rate_limit_take(text, integer, bigint, integer, bigint, bigint) to service_role;
grant execute on function public.rate_limit_take_many(text[], integer[], bigint[], integer[], bigint[], bigint[]) to service_role;
grant execute on function public.rate_limit_take_all(text[], integer[], bigint[], integer[], bigint, bigint) to service_role;
grant execute on function public.email_rate_limit_take(text, bigint) to service_role;

-- Forget keys whose TAT has passed: such a key is at its full burst, exactly like a key
-- never seen, so deleting it changes no decision. Rows locked by a take in progress are
-- skipped and caught next minute.
create extension if not exists pg_cron;

create function public.rate_limit_cleanup()
returns integer
language sql volatile security definer
set search_path = ''
as $$
  with stale as (
    select key from public.rate_limits
    where tat_us < (extract(epoch from clock_timestamp()) * 1000000)::bigint
    for update skip locked
  ), gone as (
    delete from public.rate_limits r using stale where r.key = stale.key returning 1
  )
  select count(*)::integer from gone
$$;
revoke execute on function public.rate_limit_cleanup() from public, anon, authenticated;
grant execute on function public.rate_limit_cleanup() to service_role;

select cron.schedule('rate-limit-cleanup', '* * * * *', $$select public.rate_limit_cleanup()$$);
