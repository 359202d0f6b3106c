-- The operations page's figures, for platform admins only (docs/operations.md, and
-- docs/analytics.md for the contract): the e-mail and webhook queues with their dead
-- letters, delivery and failure counts per provider, analytics refreshes and their
-- staleness, and scan outcomes per door. Each set of numbers is one function of its own,
-- read-only, callable by the service role alone: the `operations` edge function checks the
-- caller with is_platform_admin and then calls them. None of them takes a row lock, so the
-- page never waits on (or holds up) a queue's processor.
--
-- Indexes. The queue functions read only the live and dead rows, through the partial
-- indexes their migrations made. The windows ("since") need an order by time that the
-- tables' indexes do not give; where a table is an append-only log, a BRIN index on its time
-- column gives it for one summary per 128 pages instead of an entry per row, which is why
-- webhook_events (whose btree on applied_at was dropped as a cost every event paid for
-- nothing), email_delivery_events and push_deliveries get one. New rows land in the last,
-- unsummarised ranges, which a BRIN scan always reads: exactly the recent pages a window
-- wants. email_queue's rows move as they are updated, so a BRIN would know nothing there:
-- sent rows get a partial btree on sent_at, one entry per e-mail sent, which the hourly
-- email_queue_cleanup (`status = 'sent' and sent_at < …`) reads as well instead of the
-- whole table. The scans need no index: ops_door_scans probes ticket_scans_event_idx once
-- per event.

create table public.platform_admins (
  user_id uuid primary key references auth.users (id) on delete cascade,
  added_at timestamptz not null default now()
);
alter table public.platform_admins enable row level security;
-- Who is an admin is changed by the database owner (a migration, the seed, an operator in
-- psql), never through the API; the service role may read it.
revoke all on public.platform_admins from public, anon, authenticated, service_role;
grant select on public.platform_admins to service_role;

create index webhook_events_applied_brin on public.webhook_events using brin (applied_at);
create index email_delivery_events_received_brin on public.email_delivery_events using brin (received_at);
create index push_deliveries_created_brin on public.push_deliveries using brin (created_at);
create index email_queue_sent_at on public.email_queue (sent_at) where status = 'sent';

create function public.is_platform_admin(p_user uuid)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.platform_admins a where a.user_id = p_user)
$$;

-- Each e-mail queue's depth: rows waiting for their first try (pending) or a retry
-- (failed), how many of them a processor holds right now, the dead letters, and how late
-- the oldest due row is. Every queue in email_settings answers, an empty one with zeros.
create function public.ops_email_queue()
returns table (queue text, pending integer, failed integer, in_flight integer, dead_letters integer,
               oldest_due_at timestamptz, oldest_due_seconds integer, next_due_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select s.queue, coalesce(l.pending, 0), coalesce(l.failed, 0), coalesce(l.in_flight, 0),
         (select count(*)::integer from public.email_queue q where q.queue = s.queue and q.status = 'dead_letter'),
         l.oldest_due_at,
         coalesce(extract(epoch from now() - l.oldest_due_at)::integer, 0),
         l.next_due_at
    from public.email_settings s
    left join lateral (
      select count(*) filter (where q.status = 'pending')::integer as pending,
             count(*) filter (where q.status = 'failed')::integer as failed,
             count(*) filter (where q.locked_until > now())::integer as in_flight,
             min(q.next_retry_at) filter (where q.next_retry_at <= now()) as oldest_due_at,
             min(q.next_retry_at) filter (where q.next_retry_at > now()) as next_due_at
        from public.email_queue q
       where q.queue = s.queue and q.status in ('pending', 'failed')
    ) l on true
   order by s.queue
$$;

-- The latest dead letters of every e-mail queue, for the replay list: the address masked to
-- its first character and its domain (enough to tell a bounce domain, not to read who), the
-- subject cut to 200 characters.
create function public.ops_email_dead_letters(p_limit integer default 50)
returns table (id uuid, queue text, to_masked text, subject text, error text, attempts integer,
               updated_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select q.id, q.queue, left(q.to_email, 1) || '***@' || split_part(q.to_email, '@', 2), left(q.subject, 200),
         q.error, q.attempts, q.updated_at
    from public.email_queue q
   where q.status = 'dead_letter'
   order by q.updated_at desc, q.id
   limit least(greatest(coalesce(p_limit, 50), 1), 500)
$$;

-- The webhook retry queue by provider: rows waiting for a retry, rows a processor holds,
-- dead letters, and how late the oldest due row is (a processing row whose lease ran out is
-- due again, as claim_webhook_retries takes it).
create function public.ops_webhook_queue()
returns table (webhook_type text, pending integer, processing integer, dead_letters integer,
               oldest_due_at timestamptz, oldest_due_seconds integer, next_due_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select t.webhook_type, coalesce(l.pending, 0), coalesce(l.processing, 0),
         (select count(*)::integer from public.webhook_retry_queue q
           where q.webhook_type = t.webhook_type and q.status = 'dead_letter'),
         l.oldest_due_at,
         coalesce(extract(epoch from now() - l.oldest_due_at)::integer, 0),
         l.next_due_at
    from (values ('resend'), ('stripe')) t(webhook_type)
    left join lateral (
      select count(*) filter (where q.status = 'pending')::integer as pending,
             count(*) filter (where q.status = 'processing')::integer as processing,
             min(q.next_retry_at) filter (where q.next_retry_at <= now()
                                            and (q.status = 'pending' or q.locked_until < now())) as oldest_due_at,
             min(q.next_retry_at) filter (where q.next_retry_at > now()) as next_due_at
        from public.webhook_retry_queue q
       where q.webhook_type = t.webhook_type and q.status in ('pending', 'processing')
    ) l on true
   order by t.webhook_type
$$;

-- The latest webhook dead letters, for the replay list: the provider's event id and type
-- (no personal data), the tries, the replays so far and the last failure's kind.
create function public.ops_webhook_dead_letters(p_limit integer default 50)
returns table (id bigint, webhook_type text, event_id text, event_type text, attempts integer, replays integer,
               last_error text, updated_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select q.id, q.webhook_type, q.event_id, left(q.payload ->> 'type', 100), q.attempts, q.replays, q.last_error,
         q.updated_at
    from public.webhook_retry_queue q
   where q.status = 'dead_letter'
   order by q.updated_at desc, q.id desc
   limit least(greatest(coalesce(p_limit, 50), 1), 500)
$$;

-- Deliveries and failures per provider in the last p_since, one row per (provider, metric):
--   resend  sent (e-mails the provider accepted), delivered, bounced, complained (its
--           webhooks' events received), failed (e-mails that became dead letters);
--   stripe  each outcome of the events applied (paid, closed, refunded, …, ignored), and
--           retrying (events in the retry queue now) and dead_letters (died in the window);
--   push    each status of the notifications asked for (sent, failed, rate_limited,
--           pending) and, of the sent ones, each receipt state (delivered, receipt_error,
--           receipt_expired; 20261202000500_push_receipts.sql).
-- The fixed metrics answer 0 when nothing happened, so a quiet provider still shows.
create function public.ops_provider_rates(p_since interval default '24 hours')
returns table (provider text, metric text, count integer)
language sql stable security definer
set search_path = ''
as $$
  with since as (select now() - p_since as at)
  select 'resend', m.metric, coalesce(c.n, 0)
    from unnest(array['sent', 'delivered', 'bounced', 'complained', 'failed']) with ordinality m(metric, ord)
    left join (
      select 'sent' as metric, count(*)::integer as n from public.email_queue q, since
       where q.status = 'sent' and q.sent_at >= since.at
      union all
      select 'failed', count(*)::integer from public.email_queue q, since
       where q.status = 'dead_letter' and q.updated_at >= since.at
      union all
      select e.type, count(*)::integer from public.email_delivery_events e, since
       where e.received_at >= since.at and e.type in ('delivered', 'bounced', 'complained')
       group by e.type
    ) c on c.metric = m.metric
  union all
  (select 'stripe', w.outcome, count(*)::integer from public.webhook_events w, since
    where w.provider = 'stripe' and w.applied_at >= since.at
    group by w.outcome order by w.outcome)
  union all
  select 'stripe', 'retrying', count(*)::integer from public.webhook_retry_queue q
   where q.webhook_type = 'stripe' and q.status in ('pending', 'processing')
  union all
  select 'stripe', 'dead_letters', count(*)::integer from public.webhook_retry_queue q, since
   where q.webhook_type = 'stripe' and q.status = 'dead_letter' and q.updated_at >= since.at
  union all
  select 'push', m.metric, coalesce(c.n, 0)
    from unnest(array['sent', 'failed', 'rate_limited', 'pending', 'delivered', 'receipt_error', 'receipt_expired'])
         with ordinality m(metric, ord)
    left join (
      select x.metric, count(*)::integer as n
        from public.push_deliveries p cross join since
        cross join lateral (values (p.status),
                                   (case p.receipt_status when 'delivered' then 'delivered'
                                                          when 'error' then 'receipt_error'
                                                          when 'expired' then 'receipt_expired' end)) x(metric)
       where p.created_at >= since.at and x.metric is not null
       group by x.metric
    ) c on c.metric = m.metric
$$;

-- The latest analytics refreshes, newest first, with how long each took and how many rows
-- it made or why it failed.
create function public.ops_refresh_runs(p_limit integer default 20)
returns table (id bigint, view_name text, started_at timestamptz, finished_at timestamptz, duration_ms integer,
               rows bigint, error text)
language sql stable security definer
set search_path = ''
as $$
  select r.id, r.view_name, r.started_at, r.finished_at,
         (extract(epoch from r.finished_at - r.started_at) * 1000)::integer, r.rows, r.error
    from public.analytics_refresh_runs r
   order by r.id desc
   limit least(greatest(coalesce(p_limit, 20), 1), 200)
$$;

-- Each analytics view's freshness (analytics_view_freshness: the start of its last good
-- refresh, stale after 10 minutes or a failed last run) and its age in seconds.
create function public.ops_refresh_views()
returns table (view_name text, data_as_of timestamptz, age_seconds integer, stale boolean, last_error text)
language sql stable security definer
set search_path = ''
as $$
  select v.view_name, f.data_as_of, extract(epoch from now() - f.data_as_of)::integer, f.stale, f.last_error
    from unnest(public.analytics_views()) with ordinality v(view_name, ord),
         public.analytics_view_freshness(v.view_name) f
   order by v.ord
$$;

-- Scan outcomes per door (the scanning device) in the last p_since, across events, with
-- each door's last scan. One probe of ticket_scans_event_idx per event, which costs the
-- doors' insert path nothing, and reads only the window's scans: 20 ms (by hand) for 2,000 events
-- over 300,000 scans here, where the join the planner makes of a plain lateral subquery (a
-- hash join over every scan) took 110 ms. The aggregate inside the lateral subquery is what
-- keeps it from being flattened into that join.
create function public.ops_door_scans(p_since interval default '1 hour')
returns table (event_id uuid, event_name text, door text, result text, scans integer, last_scan_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select e.id, e.name, s.device_id, s.result, s.scans, s.last_scan_at
    from public.events e
    cross join lateral (
      select t.device_id, t.result, count(*)::integer as scans, max(t.scanned_at) as last_scan_at
        from public.ticket_scans t
       where t.event_id = e.id and t.scanned_at >= now() - p_since
       group by t.device_id, t.result
    ) s
   order by e.name, e.id, s.device_id, s.result
$$;

revoke execute on function public.is_platform_admin(uuid), public.ops_email_queue(),
  public.ops_email_dead_letters(integer), public.ops_webhook_queue(), public.ops_webhook_dead_letters(integer),
  public.ops_provider_rates(interval), public.ops_refresh_runs(integer), public.ops_refresh_views(),
  public.ops_door_scans(interval)
  from public, anon, authenticated;
grant execute on function public.is_platform_admin(uuid), public.ops_email_queue(),
  public.ops_email_dead_letters(integer), public.ops_webhook_queue(), public.ops_webhook_dead_letters(integer),
  public.ops_provider_rates(interval), public.ops_refresh_runs(integer), public.ops_refresh_views(),
  public.ops_door_scans(interval)
  to service_role;
