-- Push receipts. A push the provider accepted (status `sent`, with its ticket id) is only
-- queued at Expo; whether Apple or Google took it is told later by a receipt, which Expo
-- makes within about 15 minutes (up to 30 under load) and keeps for about a day.
-- process-push-receipts asks for them every 5 minutes (pg_cron, below) and records each
-- in receipt_status:
--   null        not known yet: the push is waiting for its receipt;
--   delivered   the receipt said ok;
--   error       the receipt said error; receipt_error holds "<details.error>: <message>";
--   expired     no receipt came: given up after 24 h or 36 checks, whichever comes first.
-- The send's own status stays what it was (`sent`: the provider took it), so the two
-- questions ("did the provider accept it?", "did it reach the device?") stay apart.
--
-- A receipt whose error is DeviceNotRegistered (the app is gone from the device) retires its
-- token in push_retired_tokens; send-push refuses a retired token with a 410
-- device_unregistered, recorded as a failed delivery, without asking the provider. There is
-- no device-token table: callers give the token with each push, so the retired list is what
-- remembers it.
--
-- The queue of receipts to ask for is push_deliveries itself: a claim leases rows to a
-- worker (receipt_locked_by until receipt_locked_until, `for update skip locked`), and only
-- the lease holder records or releases them, so each receipt is recorded exactly once. Each
-- claim counts a check (receipt_checks); a run that dies keeps its count, so a row that
-- kills its processor is still given up. A provider failure releases the rows with their
-- check given back: an outage costs no row its chances.

alter table public.push_deliveries
  add column receipt_status text check (receipt_status in ('delivered', 'error', 'expired')),
  add column receipt_error text check (char_length(receipt_error) <= 1000),
  add column receipt_checked_at timestamptz,
  add column receipt_checks integer not null default 0 check (receipt_checks >= 0),
  add column receipt_locked_by text,
  add column receipt_locked_until timestamptz,
  add constraint push_deliveries_receipt_of_sent check (receipt_status is null or status = 'sent');
-- The table's first migration granted the service role select and insert but revoked nothing
-- from it, so Supabase's default grants let it update and delete rows too, and so write a
-- receipt, or clear a lease, past the functions below. It keeps what it was meant to have.
revoke update, delete, truncate, references, trigger on public.push_deliveries from service_role;

-- The rows still waiting for a receipt, by the time they were sent: what a claim scans.
create index push_deliveries_awaiting_receipt on public.push_deliveries (coalesce(settled_at, created_at))
  where status = 'sent' and receipt_status is null;

create table public.push_retired_tokens (
  token text primary key check (char_length(token) between 1 and 256),
  retired_at timestamptz not null default now(),
  -- The provider's name for why: DeviceNotRegistered.
  reason text not null check (char_length(reason) between 1 and 100)
);
alter table public.push_retired_tokens enable row level security;
-- Device tokens are operational data: the service role reads them, and only the functions
-- below write them.
revoke all on public.push_retired_tokens from public, anon, authenticated, service_role;
grant select on public.push_retired_tokens to service_role;

-- Leases up to p_max sent rows with no receipt yet to p_worker for p_lease_seconds, oldest
-- first, skipping rows another worker holds. A row is due p_min_age_seconds after it was
-- sent (Expo advises about 15 minutes) and as long again after its last check, so at the
-- default a receipt that is not ready is asked for again 15 minutes later (with a minimum age
-- of 0, as soon as the next claim).
create function public.claim_push_receipts(p_worker text, p_max integer, p_lease_seconds integer default 300,
                                           p_now timestamptz default null, p_min_age_seconds integer default 900)
returns table (id uuid, provider_ticket_id text, receipt_checks integer)
language sql volatile security definer
set search_path = ''
as $$
  with due as (
    select d.id from public.push_deliveries d
     where d.status = 'sent' and d.receipt_status is null
       and coalesce(d.settled_at, d.created_at) <= coalesce(p_now, now()) - make_interval(secs => p_min_age_seconds)
       and (d.receipt_checked_at is null
            or d.receipt_checked_at <= coalesce(p_now, now()) - make_interval(secs => p_min_age_seconds))
       and (d.receipt_locked_until is null or d.receipt_locked_until < coalesce(p_now, now()))
     order by coalesce(d.settled_at, d.created_at), d.id
     limit p_max
       for update skip locked
  )
  update public.push_deliveries d
     set receipt_locked_by = p_worker,
         receipt_locked_until = coalesce(p_now, now()) + make_interval(secs => p_lease_seconds),
         receipt_checks = d.receipt_checks + 1
    from due where d.id = due.id
  returning d.id, d.provider_ticket_id, d.receipt_checks
$$;

-- Records the receipts of rows p_worker holds, in one statement: p_receipts is Expo's
-- `data` object, keyed by ticket id, with every id asked for present and JSON null for one
-- the provider had no receipt for yet (that row's lease is released and it waits for the next
-- check). A receipt of a row the worker no longer holds, or one recorded already, changes
-- nothing, so a receipt is recorded exactly once. DeviceNotRegistered retires the token.
-- Answers the counts.
create function public.record_push_receipts(p_worker text, p_receipts jsonb, p_now timestamptz default null)
returns table (delivered integer, errors integer, retired integer, waiting integer)
language sql volatile security definer
set search_path = ''
as $$
  with r as (
    select e.key as ticket_id, nullif(e.value, 'null'::jsonb) as receipt from jsonb_each(p_receipts) e
  ), settled as (
    update public.push_deliveries d
       set receipt_status = case when r.receipt is null then null
                                 when r.receipt ->> 'status' = 'ok' then 'delivered' else 'error' end,
           receipt_error = case when r.receipt is null or r.receipt ->> 'status' = 'ok' then null
                                else left(coalesce(r.receipt -> 'details' ->> 'error', 'error') || ': '
                                          || coalesce(r.receipt ->> 'message', 'no detail'), 1000) end,
           receipt_checked_at = coalesce(p_now, now()),
           receipt_locked_by = null, receipt_locked_until = null
      from r
     where d.provider_ticket_id = r.ticket_id and d.receipt_locked_by = p_worker
       and d.status = 'sent' and d.receipt_status is null
    returning d.token, d.receipt_status, r.receipt -> 'details' ->> 'error' as code
  ), retired as (
    insert into public.push_retired_tokens (token, retired_at, reason)
    select distinct s.token, coalesce(p_now, now()), 'DeviceNotRegistered' from settled s
     where s.receipt_status = 'error' and s.code = 'DeviceNotRegistered'
    on conflict (token) do nothing
    returning 1
  )
  select (count(*) filter (where s.receipt_status = 'delivered'))::integer,
         (count(*) filter (where s.receipt_status = 'error'))::integer,
         (select count(*) from retired)::integer,
         (count(*) filter (where s.receipt_status is null))::integer
    from settled s
$$;

-- Releases rows p_worker holds and could not ask about (the provider failed), giving their
-- check back. Answers how many it released.
create function public.release_push_receipts(p_worker text, p_ids uuid[])
returns integer
language sql volatile security definer
set search_path = ''
as $$
  with released as (
    update public.push_deliveries d
       set receipt_locked_by = null, receipt_locked_until = null, receipt_checks = greatest(d.receipt_checks - 1, 0)
     where d.id = any (p_ids) and d.receipt_locked_by = p_worker and d.receipt_status is null
    returning 1
  )
  select count(*)::integer from released
$$;

-- Gives up on receipts that will not come: sent more than p_give_up_seconds ago (Expo keeps
-- receipts about a day) or checked p_max_checks times. A leased row is left to its holder.
-- Answers how many it gave up on.
create function public.expire_push_receipts(p_now timestamptz default null, p_give_up_seconds integer default 86400,
                                            p_max_checks integer default 36)
returns integer
language sql volatile security definer
set search_path = ''
as $$
  with expired as (
    update public.push_deliveries d
       set receipt_status = 'expired',
           receipt_error = format('no receipt after %s checks', d.receipt_checks)
     where d.status = 'sent' and d.receipt_status is null
       and (d.receipt_locked_until is null or d.receipt_locked_until < coalesce(p_now, now()))
       and (coalesce(d.settled_at, d.created_at) <= coalesce(p_now, now()) - make_interval(secs => p_give_up_seconds)
            or d.receipt_checks >= p_max_checks)
    returning 1
  )
  select count(*)::integer from expired
$$;

-- send-push's check before it counts or sends: settles the pending delivery p_id as failed
-- when its token is retired. Answers whether it did.
create function public.refuse_retired_push(p_id uuid)
returns boolean
language sql volatile security definer
set search_path = ''
as $$
  with refused as (
    update public.push_deliveries d
       set status = 'failed', settled_at = now(),
           error = format('DeviceNotRegistered: token retired at %s (%s)', r.retired_at, r.reason)
      from public.push_retired_tokens r
     where d.id = p_id and d.status = 'pending' and r.token = d.token
    returning 1
  )
  select exists (select 1 from refused)
$$;

-- Retires a token the provider refused at send time (a ticket's DeviceNotRegistered); the
-- first retirement is kept.
create function public.retire_push_token(p_token text, p_reason text)
returns void
language sql volatile security definer
set search_path = ''
as $$
  insert into public.push_retired_tokens (token, reason) values (p_token, left(p_reason, 100))
  on conflict (token) do nothing
$$;

-- For the operations page: deliveries by state (every state, with 0 when none) and the
-- creation time of the oldest in each, since p_since (all time when null). `pending` is a
-- send whose outcome nobody learned; `awaiting_receipt` a sent push with no receipt yet.
create function public.push_delivery_states(p_since timestamptz default null)
returns table (state text, count bigint, oldest timestamptz)
language sql stable security definer
set search_path = ''
as $$
  with states (state, ord) as (
    values ('pending', 1), ('rate_limited', 2), ('failed', 3), ('awaiting_receipt', 4), ('delivered', 5),
           ('receipt_error', 6), ('receipt_expired', 7)
  ), d as (
    select case when d.status <> 'sent' then d.status
                when d.receipt_status is null then 'awaiting_receipt'
                when d.receipt_status = 'error' then 'receipt_error'
                when d.receipt_status = 'expired' then 'receipt_expired'
                else d.receipt_status end as state,
           d.created_at
      from public.push_deliveries d
     where p_since is null or d.created_at >= p_since
  )
  select s.state, count(d.state), min(d.created_at)
    from states s left join d on d.state = s.state
   group by s.state, s.ord
   order by s.ord
$$;

revoke execute on function
  public.claim_push_receipts(text, integer, integer, timestamptz, integer),
  public.record_push_receipts(text, jsonb, timestamptz),
  public.release_push_receipts(text, uuid[]),
  public.expire_push_receipts(timestamptz, integer, integer),
  public.refuse_retired_push(uuid),
  public.retire_push_token(text, text),
  public.push_delivery_states(timestamptz)
  from public, anon, authenticated;
grant execute on function
  public.claim_push_receipts(text, integer, integer, timestamptz, integer),
  public.record_push_receipts(text, jsonb, timestamptz),
  public.release_push_receipts(text, uuid[]),
  public.expire_push_receipts(timestamptz, integer, integer),
  public.refuse_retired_push(uuid),
  public.retire_push_token(text, text),
  public.push_delivery_states(timestamptz)
  to service_role;

-- Every 5 minutes, through pg_net as the webhook retries are
-- (20261202000300_webhook_retry_queue.sql): a receipt is asked for at the first run at least
-- 15 minutes after its send.
select cron.schedule('process-push-receipts', '*/5 * * * *',
                     $$select public.invoke_edge_function('process-push-receipts')$$);
