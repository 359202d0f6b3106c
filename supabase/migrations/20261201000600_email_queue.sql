-- The durable e-mail queue: every e-mail send-email accepts is a row here until the provider
-- has given it a message id (sent) or an operator has to look at it (dead_letter). Every
-- transition is one of the functions below, callable by service_role only; docs/email-queue.md
-- tells the whole story, and the processor is edge-functions/process-email-queue.
--
-- Statuses: pending (not tried yet, or deferred before its first try), failed (tried, waiting
-- for its retry at next_retry_at), sent, dead_letter. `attempts` counts the tries started;
-- `max_attempts` counts the retries after the first try, as crates/usher-retry does, so with
-- the default 5 the sixth failure is the dead letter. The retry delays themselves are the
-- crate's: the processor asks it (through wasm) and passes the time here.
--
-- Exactly once. Each request to the provider is a "send" (email_sends), recorded when the
-- rows are claimed and before anything goes out; its Idempotency-Key is `usher-send/<id>`
-- and its body is built only from the rows, in their send_position order, so sending it
-- again is byte for byte the same request, which Resend answers with the first message ids
-- for 24 hours without delivering again. A send whose outcome is unknown (a timeout, a
-- dropped connection, a 5xx, a processor killed mid-request, a lease that ran out) keeps
-- its rows and its key, and its retry is the same send. A send the provider certainly
-- refused (a 4xx answer) is dissolved, and its rows go out under a new key next time. A row
-- with a message id is sent and is never claimed again. A send whose key is 23 hours old
-- and whose outcome is still unknown is not sent again (its key may have expired at the
-- provider, which would then deliver a second time): its rows become dead letters with the
-- error `outcome_unknown`, for an operator to settle (docs/email-queue.md says how).
--
-- Batches: rows without attachments (Resend's batch endpoint takes none) are batched, up to
-- email_settings.batch_size per send, only with rows of the same attempts and max_attempts,
-- so one retry decision serves a whole batch. A batch the provider refuses whole (its strict
-- validation) is split: its rows go alone from then on, with the attempt given back, so one
-- bad row dead-letters alone.
--
-- Limits: the claim takes the e-mail rate limits (email_settings: per minute in all and per
-- recipient) for every row it would send; a refused row is deferred by the limiter's
-- retry-after without spending an attempt, and rows behind it for the same recipient are
-- spaced one interval apart, so a thousand e-mails to one address are not re-examined on
-- every claim. The provider's own request rate is email_send_slot's.
--
-- Errors of this file's own:
--   UR003  (422 idempotency_key_reused) enqueue_email got a known idempotency key with
--          another e-mail;
--   UR007  a caller's bug: an outcome fail_email_send does not know, a replay without ids
--          or a time (500).

-- A queue's settings. A project has one queue, `default`; more are separate queues with
-- limits of their own (their limiter keys are named for them), which is how the tests run
-- beside the stack's own processor without touching its rows.
create table public.email_settings (
  queue text primary key check (queue ~ '^[a-z0-9_-]{1,40}$'),
  -- The plan's defaults; an operator sets them to their provider plan's limits.
  global_per_minute integer not null default 100 check (global_per_minute between 1 and 1000000),
  recipient_per_minute integer not null default 10 check (recipient_per_minute between 1 and 1000000),
  -- The provider account's request rate (Resend's default team-wide 2 per second), shared by
  -- every queue that sends through the same account.
  provider_account text not null default 'resend' check (provider_account ~ '^[a-z0-9_-]{1,40}$'),
  provider_requests_per_second integer not null default 2 check (provider_requests_per_second between 1 and 10000),
  batch_size integer not null default 100 check (batch_size between 1 and 100),
  lease_seconds integer not null default 60 check (lease_seconds between 1 and 3600)
);
insert into public.email_settings (queue) values ('default');

create table public.email_sends (
  id uuid primary key default gen_random_uuid(),
  -- 'email' (POST /emails, one row) or 'batch' (POST /emails/batch).
  endpoint text not null check (endpoint in ('email', 'batch')),
  size integer not null check (size between 1 and 100),
  -- Some try of it ended without an answer that says whether it was accepted: its key and
  -- body must be kept for as long as the provider may hold them.
  outcome_unknown boolean not null default false,
  -- The `from` its body was made with, so a retry sends the same body.
  sender text,
  -- When its key may first have reached the provider: the key's 24 hours start no earlier.
  created_at timestamptz not null default now()
);

create table public.email_queue (
  id uuid primary key default gen_random_uuid(),
  queue text not null default 'default' references public.email_settings (queue),
  idempotency_key text unique check (char_length(idempotency_key) between 1 and 255),
  -- What the idempotency key stands for, to tell a repeat from a reuse.
  request_hash bytea not null,
  -- send-email checks addresses closely (_shared/email.ts); the table keeps out at least what
  -- is no single address at all.
  to_email text not null check (char_length(to_email) between 3 and 320 and to_email ~ '^[^@\s<>,]+@[^@\s<>,]+$'),
  subject text not null check (char_length(subject) between 1 and 998),
  html text not null,
  text text,
  tags jsonb not null default '[]'::jsonb check (jsonb_typeof(tags) = 'array'),
  -- [{filename, content (base64), content_type, content_id}], inline images above all.
  attachments jsonb check (attachments is null or jsonb_typeof(attachments) = 'array'),
  attempts integer not null default 0 check (attempts >= 0),
  max_attempts integer not null default 5 check (max_attempts between 0 and 20),
  deferrals integer not null default 0,
  next_retry_at timestamptz not null default now(),
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'dead_letter')),
  -- A short description of the last failure (a status and the provider's error name), never
  -- a whole provider answer.
  error text check (char_length(error) <= 500),
  locked_by text,
  locked_until timestamptz,
  send_id uuid references public.email_sends (id) on delete set null,
  send_position integer,
  -- Goes alone from now on: its batch was refused whole, or it was replayed.
  solo boolean not null default false,
  provider_message_id text,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((status = 'sent') = (provider_message_id is not null))
);

-- The claim's order, so a claim reads only the rows it takes however deep the queue is.
create index email_queue_due on public.email_queue (queue, next_retry_at, id) where status in ('pending', 'failed');
create index email_queue_send on public.email_queue (send_id) where send_id is not null;
create index email_queue_dead on public.email_queue (updated_at) where status = 'dead_letter';

alter table public.email_settings enable row level security;
alter table public.email_sends enable row level security;
alter table public.email_queue enable row level security;
-- The queue changes only through the functions below: the service role (which Supabase's
-- default privileges give every right on new tables) may read it, and write only the settings.
revoke all on public.email_settings, public.email_sends, public.email_queue from public, anon, authenticated, service_role;
grant select on public.email_settings, public.email_sends, public.email_queue to service_role;
grant insert, update, delete on public.email_settings to service_role;

-- The e-mail limits, now from email_settings (the first version had 100 and 10 in its body).
create or replace function public.email_rate_limit_take(p_recipient text, p_now_us bigint default null)
returns table (allowed boolean, retry_after_us bigint, limited_by text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_recipient text := lower(btrim(p_recipient));
  s public.email_settings;
  v bigint[];
begin
  if v_recipient is null or v_recipient !~ '^[^@\s]+@[^@\s]+$' then
    raise exception 'email_rate_limit_take needs a recipient address (got %)', coalesce(p_recipient, 'null')
      using errcode = 'UR102';
  end if;
  select * into s from public.email_settings where queue = 'default';
  v := public.rate_limit_take_batch(
    array['email:global', 'email:to:' || v_recipient], array[s.global_per_minute, s.recipient_per_minute],
    array[60000000, 60000000]::bigint[], array[s.global_per_minute, s.recipient_per_minute], array[1, 1],
    array[1]::bigint[], array[p_now_us]);
  allowed := v[1] = 1 and v[7] = 1;
  retry_after_us := greatest(case when v[1] = 0 then v[4] end, case when v[7] = 0 then v[10] end);
  limited_by := nullif(concat_ws(',', case when v[1] = 0 then 'global' end, case when v[7] = 0 then 'recipient' end), '');
  return next;
end
$$;

-- Enqueues an e-mail, or answers the row an earlier call with the same idempotency key made
-- (created false). The same key with another e-mail is refused with UR003.
create function public.enqueue_email(
  p_to text, p_subject text, p_html text, p_text text default null, p_tags jsonb default '[]'::jsonb,
  p_attachments jsonb default null, p_idempotency_key text default null, p_max_attempts integer default 5,
  p_queue text default 'default'
)
returns table (id uuid, status text, created boolean)
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_hash bytea := sha256(convert_to(
    jsonb_build_array(p_queue, p_to, p_subject, p_html, p_text, coalesce(p_tags, '[]'::jsonb), p_attachments)::text,
    'UTF8'));
  v_row public.email_queue;
begin
  insert into public.email_queue as q
    (queue, idempotency_key, request_hash, to_email, subject, html, text, tags, attachments, max_attempts)
  values (p_queue, p_idempotency_key, v_hash, p_to, p_subject, p_html, p_text, coalesce(p_tags, '[]'::jsonb),
          p_attachments, p_max_attempts)
  on conflict (idempotency_key) do nothing
  returning q.* into v_row;
  if found then
    return query select v_row.id, v_row.status, true;
    return;
  end if;
  select * into v_row from public.email_queue q where q.idempotency_key = p_idempotency_key;
  if v_row.request_hash <> v_hash then
    raise exception 'idempotency key % was used for another e-mail', p_idempotency_key using errcode = 'UR003';
  end if;
  return query select v_row.id, v_row.status, false;
end
$$;

-- Claims up to p_max due rows for p_worker: takes the e-mail limits for them, defers those
-- refused, leases the rest for email_settings.lease_seconds, groups them into sends and
-- answers one line per row, in send and position order. Sends whose key has been out 23
-- hours with an unknown outcome are dead-lettered instead (see the header).
--
-- p_sender is the `from` of the sends this claim makes; a kept send answers the one it was
-- made with, so its body stays the same whatever the processor's configuration now says.
--
-- The limits are the GCRA of rate_limit_take_batch taken for the whole claim at once: under
-- the same advisory locks (class 1380712448, each key's hashtext, in hash order), a key that
-- n rows want admits the first floor((tau - (tat - now)) / interval) of them, which is what n
-- takes of cost 1 one after the other would admit, and its TAT moves on by one interval per
-- row admitted. A row needs both its recipient's key and the global one; the global key is
-- asked only for the rows their recipient admitted. A refused row waits until its own unit
-- would fit, so the rows behind one refusal queue one interval apart. The rows of a kept send
-- are not counted again: they were when the send was made, and its retry is the same
-- request (counting a batch of 100 again would need the whole minute's quota free at once).
-- tests/email_limits_test.ts checks the takes against rate_limit_take_batch's.
create function public.claim_email_batch(
  p_worker text, p_max integer, p_queue text default 'default', p_sender text default null,
  p_now_us bigint default null
)
returns table (
  send_id uuid, send_key text, endpoint text, sender text, locked_until timestamptz, send_position integer,
  id uuid, to_email text, subject text, html text, text text, tags jsonb, attachments jsonb, attempts integer,
  max_attempts integer
)
language plpgsql volatile security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  s public.email_settings;
  v_ids uuid[];
  v_now_us bigint;
  v_now timestamptz;
  -- The default queue's keys are the ones email_rate_limit_take has always used.
  v_prefix text := case when p_queue = 'default' then 'email:' else 'email:' || p_queue || ':' end;
  v_global_int bigint;
  v_recipient_int bigint;
  v_keys text[];
begin
  select * into s from public.email_settings where queue = p_queue;
  if not found then
    raise exception 'no e-mail queue %', p_queue using errcode = 'UR007';
  end if;
  v_global_int := 60000000 / s.global_per_minute;
  v_recipient_int := 60000000 / s.recipient_per_minute;
  v_now := coalesce(to_timestamp(p_now_us / 1e6), clock_timestamp());

  -- Due rows, oldest first; a row whose lease ran out is due again.
  select array_agg(d.id order by d.next_retry_at, d.id) into v_ids
    from (select q.id, q.next_retry_at from public.email_queue q
           where q.queue = p_queue and q.status in ('pending', 'failed') and q.next_retry_at <= v_now
             and (q.locked_until is null or q.locked_until < v_now)
           order by q.next_retry_at, q.id
           limit p_max
             for update skip locked) d;
  if v_ids is null then
    return;
  end if;

  -- Rows of an earlier send whose outcome is unknown (rare: a crash, a timeout, a 5xx).
  if exists (select 1 from public.email_queue q where q.id = any (v_ids) and q.send_id is not null) then
    v_ids := public.email_claim_kept_sends(v_ids, v_now);
    if cardinality(v_ids) = 0 then
      return;
    end if;
  end if;

  v_keys := array(select distinct k
                    from (select v_prefix || 'global' as k
                          union all
                          select v_prefix || 'to:' || lower(q.to_email) from public.email_queue q where q.id = any (v_ids)) x);
  perform pg_advisory_xact_lock(1380712448, h) from (select distinct hashtext(k) as h from unnest(v_keys) k) d order by h;
  v_now_us := coalesce(p_now_us, (extract(epoch from clock_timestamp()) * 1000000)::bigint);

  return query
  with picked as (
    select q.id, u.ord, q.send_id, q.attempts, q.max_attempts, q.solo, q.attachments is not null as inline,
           v_prefix || 'to:' || lower(q.to_email) as rkey
      from unnest(v_ids) with ordinality u(id, ord) join public.email_queue q on q.id = u.id
  ), state as (
    -- The keys' rows by their primary key, however many other keys the limiter holds.
    select k.key, greatest(nullif(r.tat_us, 0), v_now_us) as tat
      from unnest(v_keys) k(key)
      left join (select r.key, r.tat_us from public.rate_limits r where r.key = any (v_keys)) r on r.key = k.key
  ), by_recipient as (
    select p.*, st.tat as rtat,
           row_number() over (partition by p.rkey, p.send_id is null order by p.ord) as rrank
      from picked p join state st on st.key = p.rkey
  ), recipient_ok as (
    select b.*, b.send_id is not null
             or b.rrank <= (v_recipient_int * s.recipient_per_minute - (b.rtat - v_now_us)) / v_recipient_int as r_ok
      from by_recipient b
  ), by_global as (
    select r.*, (select st.tat from state st where st.key = v_prefix || 'global') as gtat,
           row_number() over (partition by r.r_ok and r.send_id is null order by r.ord) as grank
      from recipient_ok r
  ), decided as (
    select g.*,
           g.send_id is not null
             or (g.r_ok and g.grank <= (v_global_int * s.global_per_minute - (g.gtat - v_now_us)) / v_global_int)
             as admitted,
           case when not g.r_ok then g.rtat + g.rrank * v_recipient_int - v_recipient_int * s.recipient_per_minute - v_now_us
                else g.gtat + g.grank * v_global_int - v_global_int * s.global_per_minute - v_now_us end as defer_us
      from by_global g
  ), taken as (
    insert into public.rate_limits as r (key, tat_us)
    select t.key, st.tat + t.n * t.interval
      from (select d.rkey as key, count(*) as n, v_recipient_int as interval from decided d
             where d.admitted and d.send_id is null group by d.rkey
            union all
            select v_prefix || 'global', count(*), v_global_int from decided d
             where d.admitted and d.send_id is null having count(*) > 0) t
      join state st on st.key = t.key
    on conflict (key) do update set tat_us = excluded.tat_us
  ), deferred as (
    update public.email_queue q
       set next_retry_at = v_now + make_interval(secs => greatest(d.defer_us, 0) / 1e6),
           deferrals = q.deferrals + 1, locked_by = null, locked_until = null, updated_at = v_now
      from decided d
     where q.id = d.id and not d.admitted
  ), fresh as (
    -- New sends for rows that have none: rows of equal attempts and max_attempts without
    -- attachments in batches (so every retry decision is the same for all of a batch), the
    -- rest alone.
    select d.id, d.ord,
           case when not d.solo and not d.inline
                then (d.attempts * 100 + d.max_attempts) * 1000000::bigint
                     + (row_number() over (partition by (not d.solo and not d.inline), d.attempts, d.max_attempts
                                           order by d.ord) - 1) / s.batch_size
                else -d.ord end as grp
      from decided d where d.admitted and d.send_id is null
  ), placed as (
    select f.id, f.grp, (row_number() over (partition by f.grp order by f.ord) - 1)::integer as pos from fresh f
  ), grouped as (
    -- Materialised (it draws from gen_random_uuid), so each send's id is drawn once.
    select p.grp, gen_random_uuid() as send_id, count(*)::integer as size,
           case when count(*) > 1 then 'batch' else 'email' end as endpoint
      from placed p group by p.grp
  ), made as (
    insert into public.email_sends (id, endpoint, size, sender, created_at)
    select g.send_id, g.endpoint, g.size, p_sender, v_now from grouped g
  ), assigned as (
    select d.id, coalesce(g.send_id, d.send_id) as send_id, p.pos,
           coalesce(g.endpoint, (select es.endpoint from public.email_sends es where es.id = d.send_id)) as endpoint,
           case when g.send_id is null then (select es.sender from public.email_sends es where es.id = d.send_id)
                else p_sender end as sender
      from decided d left join placed p on p.id = d.id left join grouped g on g.grp = p.grp
     where d.admitted
  ), leased as (
    update public.email_queue q
       set locked_by = p_worker, locked_until = v_now + make_interval(secs => s.lease_seconds),
           attempts = q.attempts + 1, send_id = a.send_id, send_position = coalesce(a.pos, q.send_position),
           updated_at = v_now
      from assigned a
     where q.id = a.id
    returning q.send_id, a.endpoint, a.sender, q.locked_until, q.send_position, q.id, q.to_email, q.subject, q.html,
              q.text, q.tags, q.attachments, q.attempts, q.max_attempts
  )
  select l.send_id, 'usher-send/' || l.send_id, l.endpoint, l.sender, l.locked_until, l.send_position, l.id,
         l.to_email, l.subject, l.html, l.text, l.tags, l.attachments, l.attempts, l.max_attempts
    from leased l
   order by l.send_id, l.send_position;
end
$$;

-- The rare part of a claim: rows of a send whose outcome is unknown. A send is retried whole
-- or not at all, so its other rows join the claim, and a send of which another worker holds
-- a row is left for now. A lease that ran out marks its send's outcome unknown. These become
-- dead letters, for a person to settle: a send whose key has been out 23 hours, a send whose
-- last try was lost with no try left, and a send that no longer has all its rows to retry
-- (which sending would change its body). Answers the claim's rows, in due order, the joined
-- ones after.
create function public.email_claim_kept_sends(p_ids uuid[], p_now timestamptz)
returns uuid[]
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  v_ids := p_ids || array(
    select q.id from public.email_queue q
     where q.send_id in (select q2.send_id from public.email_queue q2 where q2.id = any (p_ids) and q2.send_id is not null)
       and not q.id = any (p_ids) and q.status in ('pending', 'failed')
     order by q.send_id, q.send_position
       for update skip locked);
  update public.email_sends es set outcome_unknown = true
   where not es.outcome_unknown
     and es.id in (select q.send_id from public.email_queue q where q.id = any (v_ids) and q.locked_until is not null);
  with sends as (
    select es.id, es.size, es.outcome_unknown, es.created_at,
           (select count(*) from public.email_queue q where q.send_id = es.id and q.status in ('pending', 'failed')) as live,
           (select count(*) from public.email_queue q where q.send_id = es.id and q.id = any (v_ids)) as mine,
           (select bool_or(q.attempts > q.max_attempts) from public.email_queue q
             where q.send_id = es.id and q.id = any (v_ids)) as spent
      from public.email_sends es
     where es.id in (select q.send_id from public.email_queue q where q.id = any (v_ids))
  )
  update public.email_queue q
     set status = 'dead_letter', locked_by = null, locked_until = null, updated_at = p_now,
         error = case when x.outcome_unknown and x.created_at < p_now - interval '23 hours'
                      then 'outcome_unknown: no answer was recorded and the provider''s idempotency key may have expired'
                      when x.spent then 'outcome_unknown: the last try ended without an answer being recorded'
                      else 'outcome_unknown: the send lost some of its e-mails and cannot be made again' end
    from sends x
   where q.id = any (v_ids) and q.send_id = x.id and x.mine = x.live
     and ((x.outcome_unknown and x.created_at < p_now - interval '23 hours') or x.spent or x.live < x.size);
  -- What is left: rows of no send, and sends of which this claim holds every row.
  return array(
    select u.id from unnest(v_ids) with ordinality u(id, ord) join public.email_queue q on q.id = u.id
     where q.status <> 'dead_letter'
       and (q.send_id is null
            or (select count(*) from unnest(v_ids) v join public.email_queue q2 on q2.id = v
                 where q2.send_id = q.send_id and q2.status <> 'dead_letter')
               = (select es.size from public.email_sends es where es.id = q.send_id))
     order by u.ord);
end
$$;

-- The provider account's request rate, across every processor and every queue on the
-- account: 0 when a request may go now, or how many microseconds to wait before asking
-- again. No burst: requests are spaced evenly, because a provider that counts per second
-- in fixed windows (Resend does) refuses a burst that straddles two of them; and spaced 10 %
-- wider than the rate, because the provider's window starts when our first request reaches
-- it, which a slow first request (a cold start) puts later than our clock's.
create function public.email_send_slot(p_queue text default 'default', p_now_us bigint default null)
returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  s public.email_settings;
  v bigint[];
begin
  select * into s from public.email_settings where queue = p_queue;
  v := public.rate_limit_take_batch(array['email:provider:' || s.provider_account],
                                    array[s.provider_requests_per_second], array[1100000]::bigint[], array[1],
                                    array[1], array[1]::bigint[], array[p_now_us]);
  return case when v[1] = 1 then 0 else v[4] end;
end
$$;

-- Records the provider's message ids for a send, in send_position order; only the worker
-- holding the send's lease may. Answers how many rows became sent (0 when the lease was lost
-- to another worker, which will learn the same ids from the provider).
create function public.complete_email_send(p_send_id uuid, p_worker text, p_message_ids text[])
returns integer
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  update public.email_queue q
     set status = 'sent', provider_message_id = left(p_message_ids[q.send_position + 1], 255), sent_at = now(),
         locked_by = null, locked_until = null, error = null, updated_at = now()
   where q.send_id = p_send_id and q.locked_by = p_worker and q.status in ('pending', 'failed')
     and p_message_ids[q.send_position + 1] is not null;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

-- Records a failed send for the worker holding its lease, one decision for all its rows:
--   retry        rows failed until p_next_retry_at;
--   defer        not tried after all (a quota): the attempt is given back;
--   split        a batch refused whole by the provider's validation (400, 422): the attempt is
--                given back and each row goes alone;
--   dead_letter  no retry is left.
-- p_unknown says the answer (or its absence: a timeout, a dropped connection, a 5xx) leaves
-- open whether the provider accepted the request. A send that has ever had an unknown
-- outcome keeps its rows and key whatever comes next, since the provider may hold an
-- accepted request under that key; any other is dissolved, and its rows go under a new key.
-- A split dissolves the send in any case: the provider validated this very body under this
-- key and refused it, so nothing is stored under the key.
create function public.fail_email_send(
  p_send_id uuid, p_worker text, p_outcome text, p_unknown boolean, p_next_retry_at timestamptz, p_error text
)
returns integer
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_keep boolean;
  v_count integer;
begin
  if p_outcome is null or p_outcome not in ('retry', 'defer', 'split', 'dead_letter') then
    raise exception 'fail_email_send: unknown outcome %', p_outcome using errcode = 'UR007';
  end if;
  -- The rows before their send, in the order a claim locks them, so the two cannot deadlock.
  perform 1 from public.email_queue q where q.send_id = p_send_id for update;
  update public.email_sends es set outcome_unknown = es.outcome_unknown or p_unknown
   where es.id = p_send_id
  returning es.outcome_unknown and p_outcome <> 'split' into v_keep;
  v_keep := coalesce(v_keep, false);
  update public.email_queue q
     set status = case p_outcome when 'dead_letter' then 'dead_letter' when 'retry' then 'failed' else q.status end,
         attempts = q.attempts - case when p_outcome in ('defer', 'split') then 1 else 0 end,
         deferrals = q.deferrals + case when p_outcome = 'defer' then 1 else 0 end,
         next_retry_at = coalesce(p_next_retry_at, now()),
         error = left(p_error, 500),
         solo = q.solo or p_outcome = 'split',
         send_id = case when v_keep then q.send_id end,
         send_position = case when v_keep then q.send_position end,
         locked_by = null, locked_until = null, updated_at = now()
   where q.send_id = p_send_id and q.locked_by = p_worker and q.status in ('pending', 'failed');
  get diagnostics v_count = row_count;
  if not v_keep and v_count > 0 then
    delete from public.email_sends es where es.id = p_send_id;
  end if;
  return v_count;
end
$$;

-- Gives back a send its worker claimed but will not make (its lease or its run would end
-- first): the attempt is returned and the rows are due again at once, under the same key if
-- the send's outcome was ever unknown, dissolved otherwise (nothing went out under it).
create function public.release_email_send(p_send_id uuid, p_worker text)
returns integer
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_keep boolean;
  v_count integer;
begin
  perform 1 from public.email_queue q where q.send_id = p_send_id for update;
  select es.outcome_unknown into v_keep from public.email_sends es where es.id = p_send_id;
  update public.email_queue q
     set attempts = q.attempts - 1, locked_by = null, locked_until = null, updated_at = now(),
         send_id = case when v_keep then q.send_id end,
         send_position = case when v_keep then q.send_position end
   where q.send_id = p_send_id and q.locked_by = p_worker and q.status in ('pending', 'failed');
  get diagnostics v_count = row_count;
  if not coalesce(v_keep, false) and v_count > 0 then
    delete from public.email_sends es where es.id = p_send_id;
  end if;
  return v_count;
end
$$;

-- The next time a row falls due, for a processor deciding whether to wait for it.
create function public.email_next_due(p_queue text default 'default')
returns timestamptz
language sql stable security definer
set search_path = ''
as $$
  select min(greatest(q.next_retry_at, coalesce(q.locked_until, q.next_retry_at)))
    from public.email_queue q where q.queue = p_queue and q.status in ('pending', 'failed')
$$;

-- Puts dead letters back in the queue: the given ids, or every dead letter of p_queue since
-- p_since. A dead letter whose send still holds a key younger than 23 hours is replayed with
-- its whole send, so the provider recognises the request; any other goes under a new key. A
-- replay by time leaves out `outcome_unknown` dead letters unless p_include_unknown: each may
-- have been delivered, and sending it under a new key is a person's decision, one by one or
-- all at once, not a side effect. Answers the ids replayed.
create function public.replay_email_dead_letters(
  p_ids uuid[] default null, p_since timestamptz default null, p_queue text default 'default',
  p_include_unknown boolean default false
)
returns setof uuid
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if p_ids is null and p_since is null then
    raise exception 'replay_email_dead_letters needs ids or a time' using errcode = 'UR007';
  end if;
  return query
  with chosen as (
    select q.id, q.send_id from public.email_queue q
     where q.status = 'dead_letter'
       and (p_ids is not null and q.id = any (p_ids)
            or p_ids is null and q.queue = p_queue and q.updated_at >= p_since
               and (p_include_unknown or coalesce(q.error, '') not like 'outcome_unknown:%'))
  ), young as (
    select es.id from public.email_sends es
     where es.id in (select c.send_id from chosen c) and es.created_at >= now() - interval '23 hours'
  ), whole as (
    -- A send whose key is young is replayed whole under it; any other row alone, re-keyed.
    select q.id, true as keep from public.email_queue q
     where q.status = 'dead_letter' and q.send_id in (select y.id from young y)
    union
    select c.id, false from chosen c where c.send_id is null or c.send_id not in (select y.id from young y)
  )
  update public.email_queue q
     set status = case when w.keep then 'failed' else 'pending' end,
         attempts = 0, next_retry_at = now(), locked_by = null, locked_until = null, updated_at = now(),
         send_id = case when w.keep then q.send_id end,
         send_position = case when w.keep then q.send_position end,
         solo = true
    from whole w
   where q.id = w.id
  returning q.id;
end
$$;

-- Queue health for operators and the dashboard: rows by status, how late the oldest due row
-- is, and how many are leased right now.
create function public.email_queue_health(p_queue text default 'default')
returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'pending', count(*) filter (where status = 'pending'),
    'failed', count(*) filter (where status = 'failed'),
    'sent', count(*) filter (where status = 'sent'),
    'dead_letter', count(*) filter (where status = 'dead_letter'),
    'in_flight', count(*) filter (where status in ('pending', 'failed') and locked_until > now()),
    'oldest_due_seconds', coalesce(extract(epoch from now() - min(next_retry_at)
                                     filter (where status in ('pending', 'failed') and next_retry_at <= now())), 0)::integer)
    from public.email_queue where queue = p_queue
$$;

-- Retention: a sent e-mail's row (its address, its body, its attachments) is kept 30 days,
-- for support and for the delivery events issue 10 records against it, then deleted; a send
-- with no row left to retry is history once its key has expired.
create function public.email_queue_cleanup()
returns integer
language sql volatile security definer
set search_path = ''
as $$
  with sent as (
    delete from public.email_queue q where q.status = 'sent' and q.sent_at < now() - interval '30 days'
    returning 1
  ), gone as (
    delete from public.email_sends es
     where es.created_at < now() - interval '25 hours'
       and not exists (select 1 from public.email_queue q where q.send_id = es.id and q.status in ('pending', 'failed'))
    returning 1
  )
  select ((select count(*) from sent) + (select count(*) from gone))::integer
$$;
select cron.schedule('email-queue-cleanup', '17 * * * *', $$select public.email_queue_cleanup()$$);

revoke execute on function public.enqueue_email(text, text, text, text, jsonb, jsonb, text, integer, text),
  public.claim_email_batch(text, integer, text, text, bigint), public.email_claim_kept_sends(uuid[], timestamptz),
  public.email_send_slot(text, bigint),
  public.complete_email_send(uuid, text, text[]), public.fail_email_send(uuid, text, text, boolean, timestamptz, text),
  public.release_email_send(uuid, text),
  public.email_next_due(text), public.replay_email_dead_letters(uuid[], timestamptz, text, boolean), public.email_queue_health(text),
  public.email_queue_cleanup()
  from public, anon, authenticated;
grant execute on function public.enqueue_email(text, text, text, text, jsonb, jsonb, text, integer, text),
  public.claim_email_batch(text, integer, text, text, bigint), public.email_claim_kept_sends(uuid[], timestamptz),
  public.email_send_slot(text, bigint),
  public.complete_email_send(uuid, text, text[]), public.fail_email_send(uuid, text, text, boolean, timestamptz, text),
  public.release_email_send(uuid, text),
  public.email_next_due(text), public.replay_email_dead_letters(uuid[], timestamptz, text, boolean), public.email_queue_health(text),
  public.email_queue_cleanup()
  to service_role;
