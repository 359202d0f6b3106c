-- Analytics for organizers: sales, sold versus capacity, check-ins by door, scan outcomes and
-- e-mail delivery, per event and date range (docs/analytics.md is the contract).
--
-- The heavy aggregates are materialized views in the schema `analytics`, refreshed every 5
-- minutes by pg_cron (`refresh_analytics`), each refresh logged in `analytics_refresh_runs`.
-- Materialized views carry no row level security, so the schema is out of every client
-- role's reach and the figures are served only through the functions below, which take the
-- caller's user id from the `analytics` edge function (it verified the JWT) and answer only
-- for an event the user organizes or is analyst or manager of. Every answer carries the
-- time of the data it shows (`data_as_of`, the start of the refresh that made it) and
-- whether that is stale.
--
-- Limits: the date range is capped at 92 days here as well as at the edge; the edge
-- function sets `statement_timeout` for its own transaction (a `set` clause on these
-- functions would apply only once the function is running, and PostgREST, which hoists
-- such clauses, is not what calls them).
--
-- Errors of this file's own (edge-functions/_shared/sql_errors.ts):
--   UR010  the user may not see this event's figures, or it does not exist (403)
--   UR011  the date range is longer than 92 days (400 range_too_large)
--   UR012  the date range is empty or reversed (400 invalid_range)

alter table public.events add column capacity integer check (capacity > 0);

create schema analytics;
revoke all on schema analytics from public, anon, authenticated, service_role;

-- Paid orders by the hour they were paid: orders, tickets and revenue.
create materialized view analytics.sales_hourly as
  select o.event_id, date_trunc('hour', coalesce(o.paid_at, o.created_at), 'UTC') as hour, o.currency,
         count(*)::bigint as orders, sum(t.tickets)::bigint as tickets, sum(o.amount_cents)::bigint as revenue_cents
    from public.orders o
    join (select order_id, count(*) as tickets from public.tickets group by order_id) t on t.order_id = o.id
   where o.status = 'paid'
   group by 1, 2, 3;
create unique index sales_hourly_key on analytics.sales_hourly (event_id, hour, currency);

-- Each event's tickets by state.
create materialized view analytics.event_tickets as
  select event_id,
         count(*) filter (where status in ('valid', 'redeemed'))::bigint as sold,
         count(*) filter (where status = 'redeemed')::bigint as redeemed,
         count(*) filter (where status = 'refunded')::bigint as refunded
    from public.tickets
   group by event_id;
create unique index event_tickets_key on analytics.event_tickets (event_id);

-- Every scan by hour, door (the scanning device) and outcome: check-ins are its `redeemed`.
create materialized view analytics.scans_hourly as
  select event_id, date_trunc('hour', scanned_at, 'UTC') as hour, device_id as door, result, count(*)::bigint as scans
    from public.ticket_scans
   group by 1, 2, 3, 4;
create unique index scans_hourly_key on analytics.scans_hourly (event_id, hour, door, result);

-- Ticket e-mails by the hour they were queued and how they ended: the provider's most
-- telling delivery event where one came (a complaint over a bounce over a delivery; opens
-- and clicks come after a delivery and say nothing more of it), else the queue's own state.
create materialized view analytics.email_hourly as
  with latest as (
    select distinct on (message_id) message_id, type
      from public.email_delivery_events
     where type in ('delivered', 'bounced', 'complained')
     order by message_id, case type when 'complained' then 0 when 'bounced' then 1 else 2 end, occurred_at desc
  ), ticket_mail as (
    select q.created_at, q.status, q.provider_message_id,
           -- Any caller of send-email may tag; a tag that is no UUID must not break the refresh.
           (select (tag ->> 'value')::uuid from jsonb_array_elements(q.tags) tag
             where tag ->> 'name' = 'ticket_id'
               and tag ->> 'value' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' limit 1) as ticket_id
      from public.email_queue q
     where q.tags @> '[{"name": "kind", "value": "ticket"}]'
  )
  select t.event_id, date_trunc('hour', m.created_at, 'UTC') as hour,
         case
           when m.status = 'suppressed' then 'suppressed'
           when m.status in ('failed', 'dead_letter') then 'failed'
           when m.status = 'pending' then 'pending'
           when l.type in ('delivered', 'bounced', 'complained') then l.type
           else 'sent'
         end as outcome,
         count(*)::bigint as emails
    from ticket_mail m
    join public.tickets t on t.id = m.ticket_id
    left join latest l on l.message_id = m.provider_message_id
   group by 1, 2, 3;
create unique index email_hourly_key on analytics.email_hourly (event_id, hour, outcome);

revoke all on all tables in schema analytics from public, anon, authenticated, service_role;

-- One row per refresh of one view. `error` is the database's message, for operators only.
create table public.analytics_refresh_runs (
  id bigint generated always as identity primary key,
  view_name text not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  rows bigint,
  error text check (char_length(error) <= 500),
  check ((error is null) = (rows is not null))
);
create index analytics_refresh_runs_view on public.analytics_refresh_runs (view_name, started_at desc);
alter table public.analytics_refresh_runs enable row level security;
revoke all on public.analytics_refresh_runs from public, anon, authenticated, service_role;
grant select on public.analytics_refresh_runs to service_role;
revoke all on sequence public.analytics_refresh_runs_id_seq from public, anon, authenticated, service_role;

-- The views, in the order they are refreshed.
create function public.analytics_views()
returns text[]
language sql immutable
set search_path = ''
as $$ select array['sales_hourly', 'event_tickets', 'scans_hourly', 'email_hourly'] $$;

-- Refreshes one view and logs the run, its failure (a cancel included) too; answers the
-- run's id. A refresh waits at most `p_lock_timeout` for its lock: one stuck behind a long
-- lock fails and is logged (the figures go stale, visibly) rather than queueing every reader
-- behind it.
create function public.analytics_refresh_view(p_view text, p_lock_timeout text default '30s')
returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_started timestamptz := clock_timestamp();
  v_rows bigint;
  v_error text;
  v_id bigint;
begin
  if not p_view = any (public.analytics_views()) then
    raise exception 'unknown analytics view %', p_view using errcode = 'UR007';
  end if;
  begin
    perform set_config('lock_timeout', p_lock_timeout, true);
    execute format('refresh materialized view concurrently analytics.%I', p_view);
    execute format('select count(*) from analytics.%I', p_view) into v_rows;
  exception when query_canceled or others then
    v_error := left(sqlerrm, 500);
  end;
  insert into public.analytics_refresh_runs (view_name, started_at, finished_at, rows, error)
  values (p_view, v_started, clock_timestamp(), v_rows, v_error)
  returning id into v_id;
  return v_id;
end
$$;

-- Refreshes every view, each on its own (a failed one leaves the others refreshed), and
-- answers how many failed. A refresh that finds another under way skips its turn and answers
-- 0: the other one is making the same figures, and waiting behind it would only time out and
-- report fresh figures as stale. `p_wait` waits for it instead, for a caller that must see
-- its own rows in the figures (a test, the demo).
create function public.refresh_analytics(p_lock_timeout text default '30s', p_wait boolean default false)
returns integer
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_view text;
  v_run bigint;
  v_failed integer := 0;
begin
  -- Lock class 1096043860 ('ANAT') is this function's: one refresh at a time.
  if p_wait then
    perform pg_advisory_xact_lock(1096043860, 0);
  elsif not pg_try_advisory_xact_lock(1096043860, 0) then
    return 0;
  end if;
  foreach v_view in array public.analytics_views() loop
    v_run := public.analytics_refresh_view(v_view, p_lock_timeout);
    if (select r.error is not null from public.analytics_refresh_runs r where r.id = v_run) then
      v_failed := v_failed + 1;
    end if;
  end loop;
  return v_failed;
end
$$;

-- How fresh a view's figures are: the start of its last successful refresh, and whether that
-- is older than two refresh intervals (10 minutes) or its last refresh failed.
create function public.analytics_view_freshness(p_view text)
returns table (data_as_of timestamptz, stale boolean, last_error text)
language sql stable security definer
set search_path = ''
as $$
  with ok as (
    select max(started_at) as at from public.analytics_refresh_runs where view_name = p_view and error is null
  ), last as (
    select error from public.analytics_refresh_runs where view_name = p_view order by started_at desc, id desc limit 1
  )
  select ok.at,
         ok.at is null or ok.at < now() - interval '10 minutes' or (select error from last) is not null,
         (select error from last)
    from ok
$$;

-- The same for all views at once, for the operations page: the oldest data among them.
create function public.analytics_freshness()
returns table (data_as_of timestamptz, stale boolean, last_error text)
language sql stable security definer
set search_path = ''
as $$
  select min(f.data_as_of), bool_or(f.stale), max(f.last_error)
    from unnest(public.analytics_views()) v, public.analytics_view_freshness(v) f
$$;

-- Whether a user may see an event's figures: its organizer, or its analyst or manager.
create function public.analytics_can_view(p_user uuid, p_event uuid)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.events e where e.id = p_event and e.organizer_id = p_user)
      or public.is_event_staff(p_event, p_user, 'analyst')
$$;

-- Raises the answer's error for a user who may not see the event, or a bad range, and
-- answers the bucket the range is drawn in: an hour up to 3 days, a day beyond.
create function public.analytics_check(p_user uuid, p_event uuid, p_from timestamptz, p_to timestamptz)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if p_from is null or p_to is null or p_from >= p_to then
    raise exception 'empty or reversed range' using errcode = 'UR012';
  end if;
  if p_to - p_from > interval '92 days' then
    raise exception 'range longer than 92 days' using errcode = 'UR011';
  end if;
  if p_user is null or not public.analytics_can_view(p_user, p_event) then
    raise exception 'no access' using errcode = 'UR010';
  end if;
  return case when p_to - p_from <= interval '3 days' then 'hour' else 'day' end;
end
$$;

-- A bucket's start as clients read instants, in UTC whatever the session's time zone:
-- buckets are UTC hours and days, so every client draws the same series.
create function public.analytics_instant(p_at timestamptz)
returns text
language sql immutable
set search_path = ''
as $$ select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- The envelope every widget answers in.
create function public.analytics_answer(p_view text, p_data jsonb)
returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object('data_as_of', f.data_as_of, 'stale', f.stale, 'data', p_data)
    from public.analytics_view_freshness(p_view) f
$$;

create function public.analytics_sales(p_user uuid, p_event uuid, p_from timestamptz, p_to timestamptz)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_bucket text := public.analytics_check(p_user, p_event, p_from, p_to);
begin
  return public.analytics_answer('sales_hourly', jsonb_build_object(
    'bucket', v_bucket,
    'currency', coalesce((select min(currency) from analytics.sales_hourly where event_id = p_event), 'eur'),
    'buckets', coalesce((
      select jsonb_agg(jsonb_build_object('at', public.analytics_instant(b.at), 'tickets', b.tickets, 'revenue_cents', b.revenue_cents) order by b.at)
        from (select date_trunc(v_bucket, s.hour, 'UTC') as at, sum(s.tickets) as tickets, sum(s.revenue_cents) as revenue_cents
                from analytics.sales_hourly s
               where s.event_id = p_event and s.hour >= date_trunc('hour', p_from, 'UTC') and s.hour < p_to
               group by 1) b), '[]'::jsonb)));
end
$$;

create function public.analytics_capacity(p_user uuid, p_event uuid, p_from timestamptz, p_to timestamptz)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform public.analytics_check(p_user, p_event, p_from, p_to);
  return public.analytics_answer('event_tickets', jsonb_build_object(
    'sold', coalesce((select sold from analytics.event_tickets where event_id = p_event), 0),
    'redeemed', coalesce((select redeemed from analytics.event_tickets where event_id = p_event), 0),
    'capacity', (select capacity from public.events where id = p_event)));
end
$$;

create function public.analytics_checkins(p_user uuid, p_event uuid, p_from timestamptz, p_to timestamptz)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_bucket text := public.analytics_check(p_user, p_event, p_from, p_to);
begin
  return public.analytics_answer('scans_hourly', jsonb_build_object(
    'bucket', v_bucket,
    'buckets', coalesce((
      select jsonb_agg(jsonb_build_object('at', public.analytics_instant(b.at), 'door', b.door, 'admitted', b.admitted) order by b.at, b.door)
        from (select date_trunc(v_bucket, s.hour, 'UTC') as at, s.door, sum(s.scans) as admitted
                from analytics.scans_hourly s
               where s.event_id = p_event and s.result = 'redeemed'
                 and s.hour >= date_trunc('hour', p_from, 'UTC') and s.hour < p_to
               group by 1, 2) b), '[]'::jsonb)));
end
$$;

create function public.analytics_scan_outcomes(p_user uuid, p_event uuid, p_from timestamptz, p_to timestamptz)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform public.analytics_check(p_user, p_event, p_from, p_to);
  return public.analytics_answer('scans_hourly', jsonb_build_object(
    'outcomes', coalesce((
      select jsonb_agg(jsonb_build_object('result', o.result, 'count', o.scans) order by o.scans desc, o.result)
        from (select s.result, sum(s.scans) as scans
                from analytics.scans_hourly s
               where s.event_id = p_event and s.hour >= date_trunc('hour', p_from, 'UTC') and s.hour < p_to
               group by 1) o), '[]'::jsonb)));
end
$$;

create function public.analytics_email(p_user uuid, p_event uuid, p_from timestamptz, p_to timestamptz)
returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
begin
  perform public.analytics_check(p_user, p_event, p_from, p_to);
  return public.analytics_answer('email_hourly', (
    select jsonb_build_object(
             'total', coalesce(sum(e.emails), 0),
             'pending', coalesce(sum(e.emails) filter (where e.outcome = 'pending'), 0),
             'sent', coalesce(sum(e.emails) filter (where e.outcome = 'sent'), 0),
             'delivered', coalesce(sum(e.emails) filter (where e.outcome = 'delivered'), 0),
             'bounced', coalesce(sum(e.emails) filter (where e.outcome = 'bounced'), 0),
             'complained', coalesce(sum(e.emails) filter (where e.outcome = 'complained'), 0),
             'suppressed', coalesce(sum(e.emails) filter (where e.outcome = 'suppressed'), 0),
             'failed', coalesce(sum(e.emails) filter (where e.outcome = 'failed'), 0))
      from analytics.email_hourly e
     where e.event_id = p_event and e.hour >= date_trunc('hour', p_from, 'UTC') and e.hour < p_to));
end
$$;

do $$
declare
  f text;
begin
  foreach f in array array[
    'analytics_views()', 'analytics_refresh_view(text, text)', 'refresh_analytics(text, boolean)',
    'analytics_view_freshness(text)', 'analytics_freshness()', 'analytics_can_view(uuid, uuid)',
    'analytics_check(uuid, uuid, timestamptz, timestamptz)', 'analytics_answer(text, jsonb)', 'analytics_instant(timestamptz)',
    'analytics_sales(uuid, uuid, timestamptz, timestamptz)', 'analytics_capacity(uuid, uuid, timestamptz, timestamptz)',
    'analytics_checkins(uuid, uuid, timestamptz, timestamptz)',
    'analytics_scan_outcomes(uuid, uuid, timestamptz, timestamptz)',
    'analytics_email(uuid, uuid, timestamptz, timestamptz)'
  ] loop
    execute format('revoke execute on function public.%s from public, anon, authenticated, service_role', f);
  end loop;
  -- The analytics function calls the widgets (with the user it verified); the operations
  -- page reads freshness; refreshing stays with pg_cron and the database owner.
  foreach f in array array[
    'analytics_sales(uuid, uuid, timestamptz, timestamptz)', 'analytics_capacity(uuid, uuid, timestamptz, timestamptz)',
    'analytics_checkins(uuid, uuid, timestamptz, timestamptz)',
    'analytics_scan_outcomes(uuid, uuid, timestamptz, timestamptz)',
    'analytics_email(uuid, uuid, timestamptz, timestamptz)', 'analytics_freshness()', 'analytics_view_freshness(text)'
  ] loop
    execute format('grant execute on function public.%s to service_role', f);
  end loop;
end
$$;

-- The first figures, logged like every later refresh.
select public.refresh_analytics();

select cron.schedule('refresh-analytics', '*/5 * * * *', $$select public.refresh_analytics()$$);
