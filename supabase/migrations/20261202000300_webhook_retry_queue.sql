-- Webhook events whose apply failed: stripe-webhook and resend-webhook answer the provider 200
-- once the event is here (the provider's own retries would only repeat what this queue does,
-- and Stripe disables an endpoint that keeps failing), and process-webhook-retries applies it
-- again on the plan's schedule (crates/usher-retry's webhook schedule: 1 min, 5 min, 30 min,
-- 2 h, 24 h; the processor asks it and passes the time here), every 5 minutes by pg_cron. The
-- apply itself is exactly once (webhook_events), so a retry that races a redelivery, or a
-- replay of an event applied since, is harmless: it finds the event applied.
--
-- Statuses: pending (due at next_retry_at), processing (leased to locked_by until
-- locked_until; a lease that ran out is due again), succeeded, dead_letter. `attempts` counts
-- the tries made, the inline one included, so the row enters with 1; with max_attempts 5 the
-- sixth failure is the dead letter, as in the e-mail queue. A replay gives a dead letter its
-- attempts back.
--
-- Errors of this file's own: UR007 (a caller's bug: a replay naming nothing).

create table public.webhook_retry_queue (
  id bigint generated always as identity primary key,
  webhook_type text not null check (webhook_type in ('stripe', 'resend')),
  event_id text not null check (char_length(event_id) between 1 and 255),
  -- What the apply needs, verified already: Stripe's event; Resend's event with its svix id.
  payload jsonb not null,
  attempts integer not null default 1 check (attempts >= 0),
  max_attempts integer not null default 5 check (max_attempts between 0 and 20),
  next_retry_at timestamptz not null,
  -- The failure's kind and SQLSTATE, never a database message.
  last_error text check (char_length(last_error) <= 500),
  status text not null default 'pending' check (status in ('pending', 'processing', 'succeeded', 'dead_letter')),
  locked_by text,
  locked_until timestamptz,
  replays integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (webhook_type, event_id)
);
create index webhook_retry_due on public.webhook_retry_queue (next_retry_at, id) where status in ('pending', 'processing');
create index webhook_retry_dead on public.webhook_retry_queue (updated_at) where status = 'dead_letter';

alter table public.webhook_retry_queue enable row level security;
revoke all on public.webhook_retry_queue from public, anon, authenticated, service_role;
grant select on public.webhook_retry_queue to service_role;

-- Queues a failed event for its first retry, and answers its row's id. An event queued already
-- keeps its row (a redelivery that failed again changes nothing), unless the row is a dead
-- letter: a redelivery (an operator's "resend" in the provider's dashboard) that fails again
-- brings it back to the schedule, so the acknowledgement it gets is true.
create function public.enqueue_webhook_retry(
  p_type text, p_event_id text, p_payload jsonb, p_error text, p_next_retry_at timestamptz, p_max_attempts integer default 5
)
returns bigint
language sql volatile security definer
set search_path = ''
as $$
  insert into public.webhook_retry_queue as q (webhook_type, event_id, payload, last_error, next_retry_at, max_attempts)
  values (p_type, p_event_id, p_payload, left(p_error, 500), p_next_retry_at, p_max_attempts)
  on conflict (webhook_type, event_id) do update
     set status = case when q.status = 'dead_letter' then 'pending' else q.status end,
         attempts = case when q.status = 'dead_letter' then 1 else q.attempts end,
         next_retry_at = case when q.status = 'dead_letter' then excluded.next_retry_at else q.next_retry_at end,
         last_error = case when q.status = 'dead_letter' then excluded.last_error else q.last_error end,
         updated_at = case when q.status = 'dead_letter' then now() else q.updated_at end
  returning q.id
$$;

-- Leases up to p_max due rows to p_worker for p_lease_seconds, oldest due first, skipping
-- rows another worker has locked; each claim counts as an attempt, so a poison event that
-- kills its processor still reaches its dead letter.
create function public.claim_webhook_retries(p_worker text, p_max integer, p_lease_seconds integer default 60,
                                             p_now timestamptz default null)
returns table (id bigint, webhook_type text, event_id text, payload jsonb, attempts integer, max_attempts integer)
language sql volatile security definer
set search_path = ''
as $$
  with due as (
    select q.id from public.webhook_retry_queue q
     where q.status in ('pending', 'processing') and q.next_retry_at <= coalesce(p_now, now())
       and (q.status = 'pending' or q.locked_until < coalesce(p_now, now()))
     order by q.next_retry_at, q.id
     limit p_max
       for update skip locked
  )
  update public.webhook_retry_queue q
     set status = 'processing', locked_by = p_worker,
         locked_until = coalesce(p_now, now()) + make_interval(secs => p_lease_seconds),
         attempts = q.attempts + 1, updated_at = coalesce(p_now, now())
    from due where q.id = due.id
  returning q.id, q.webhook_type, q.event_id, q.payload, q.attempts, q.max_attempts
$$;

-- Settles a claimed row, by its lease holder only: succeeded, or failed again with the time
-- of its next try (null: the dead letter). Answers whether the caller still held the lease.
create function public.settle_webhook_retry(p_id bigint, p_worker text, p_succeeded boolean,
                                            p_next_retry_at timestamptz default null, p_error text default null)
returns boolean
language sql volatile security definer
set search_path = ''
as $$
  with settled as (
    update public.webhook_retry_queue q
       set status = case when p_succeeded then 'succeeded' when p_next_retry_at is null then 'dead_letter'
                         else 'pending' end,
           next_retry_at = coalesce(p_next_retry_at, q.next_retry_at),
           last_error = case when p_succeeded then q.last_error else left(p_error, 500) end,
           locked_by = null, locked_until = null, updated_at = now()
     where q.id = p_id and q.locked_by = p_worker and q.status = 'processing'
    returning 1
  )
  select exists (select 1 from settled)
$$;

-- Replays dead letters now, with their attempts given back: those with the given ids, or the
-- given event ids, or (with neither) those that died between p_since and p_until. Answers the
-- ids replayed.
create function public.replay_webhook_dead_letters(
  p_ids bigint[] default null, p_event_ids text[] default null, p_since timestamptz default null,
  p_until timestamptz default null
)
returns setof bigint
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if p_ids is null and p_event_ids is null and p_since is null then
    raise exception 'replay_webhook_dead_letters needs ids, event ids or a time' using errcode = 'UR007';
  end if;
  return query
  update public.webhook_retry_queue q
     set status = 'pending', attempts = 0, next_retry_at = now(), replays = q.replays + 1, updated_at = now()
   where q.status = 'dead_letter'
     and (p_ids is null or q.id = any (p_ids))
     and (p_event_ids is null or q.event_id = any (p_event_ids))
     and (p_since is null or q.updated_at >= p_since)
     and (p_until is null or q.updated_at < p_until)
  returning q.id;
end
$$;

-- For operators and the dashboard: rows by status, how late the oldest due row is, and the
-- next due time.
create function public.webhook_retry_health()
returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'pending', count(*) filter (where status = 'pending'),
    'processing', count(*) filter (where status = 'processing'),
    'succeeded', count(*) filter (where status = 'succeeded'),
    'dead_letter', count(*) filter (where status = 'dead_letter'),
    'next_due_at', min(next_retry_at) filter (where status in ('pending', 'processing')),
    'oldest_due_seconds', coalesce(extract(epoch from now() - min(next_retry_at)
                                     filter (where status = 'pending' and next_retry_at <= now())), 0)::integer)
    from public.webhook_retry_queue
$$;

revoke execute on function
  public.enqueue_webhook_retry(text, text, jsonb, text, timestamptz, integer),
  public.claim_webhook_retries(text, integer, integer, timestamptz),
  public.settle_webhook_retry(bigint, text, boolean, timestamptz, text),
  public.replay_webhook_dead_letters(bigint[], text[], timestamptz, timestamptz),
  public.webhook_retry_health()
  from public, anon, authenticated;
grant execute on function
  public.enqueue_webhook_retry(text, text, jsonb, text, timestamptz, integer),
  public.claim_webhook_retries(text, integer, integer, timestamptz),
  public.settle_webhook_retry(bigint, text, boolean, timestamptz, text),
  public.replay_webhook_dead_letters(bigint[], text[], timestamptz, timestamptz),
  public.webhook_retry_health()
  to service_role;

-- Every 5 minutes, through pg_net as the e-mail processor is called
-- (20261201000700_email_queue_schedule.sql). A retry falls due on the schedule and is made at
-- the first run after: up to 5 minutes late, which the 1-minute first retry feels most.
select cron.schedule('process-webhook-retries', '*/5 * * * *',
                     $$select public.invoke_edge_function('process-webhook-retries')$$);
