-- What happens to an e-mail after Resend accepted it, from Resend's webhooks (resend-webhook),
-- and the suppression list the queue honours. An event is recorded by its message id whether
-- or not the queue's row has that id yet (the webhook can outrun complete_email_send), so no
-- event waits on a race; an e-mail's delivery state is its latest event, read when asked
-- (email_delivery_states). A hard bounce, a complaint or Resend's own suppression puts each
-- recipient on email_suppressions, and the claim turns a due row to a suppressed address into
-- status `suppressed`: not sent, not retried. A row already in a send whose outcome is unknown
-- is left to that send, which may have been delivered and must go out unchanged if it goes again.

alter table public.email_queue drop constraint email_queue_status_check;
alter table public.email_queue add constraint email_queue_status_check
  check (status in ('pending', 'sent', 'failed', 'dead_letter', 'suppressed'));

create table public.email_delivery_events (
  -- The svix-id of the webhook that brought it (webhook_events holds it too, as its key).
  svix_id text primary key,
  message_id text not null check (char_length(message_id) between 1 and 255),
  -- Resend's type without its `email.` prefix: sent, delivered, delivery_delayed, bounced, …
  type text not null check (type ~ '^[a-z_]{1,40}$'),
  occurred_at timestamptz not null,
  recipients text[] not null default '{}',
  -- For bounces: Resend's bounce type (Permanent, Transient, Undetermined) and sub-type.
  bounce_type text,
  bounce_subtype text,
  received_at timestamptz not null default now()
);
create index email_delivery_events_message on public.email_delivery_events (message_id, occurred_at);

create table public.email_suppressions (
  -- Lower case, as the limiter's keys and the claim compare it.
  address text primary key check (address = lower(address)),
  reason text not null check (reason in ('bounced', 'complained', 'suppressed')),
  message_id text,
  created_at timestamptz not null default now()
);

alter table public.email_delivery_events enable row level security;
alter table public.email_suppressions enable row level security;
revoke all on public.email_delivery_events, public.email_suppressions from public, anon, authenticated, service_role;
grant select on public.email_delivery_events, public.email_suppressions to service_role;
-- An operator lifts a suppression (the address was fixed, the complaint withdrawn) by
-- deleting its row as the service role.
grant delete on public.email_suppressions to service_role;

-- Records one Resend event (p_type with its `email.` prefix, as Resend sends it) once per
-- svix id, and suppresses its recipients after a hard bounce or a complaint. An event about
-- no e-mail (p_message_id null: Resend's contact and domain events) is only acknowledged.
-- Answers what it did: 'recorded', 'suppressed', 'ignored' or 'duplicate'.
create function public.record_resend_event(
  p_svix_id text, p_type text, p_message_id text, p_occurred_at timestamptz, p_recipients text[],
  p_bounce_type text default null, p_bounce_subtype text default null
)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_type text := regexp_replace(p_type, '^email\.', '');
  v_reason text;
begin
  v_reason := case when v_type = 'bounced' and p_bounce_type = 'Permanent' then 'bounced'
                   when v_type = 'complained' then 'complained'
                   when v_type = 'suppressed' then 'suppressed' end;
  insert into public.webhook_events (provider, event_id, type, outcome)
  values ('resend', p_svix_id, p_type,
          case when p_message_id is null then 'ignored' when v_reason is null then 'recorded' else 'suppressed' end)
  on conflict do nothing;
  if not found then
    return 'duplicate';
  end if;
  if p_message_id is null then
    return 'ignored';
  end if;
  insert into public.email_delivery_events (svix_id, message_id, type, occurred_at, recipients, bounce_type, bounce_subtype)
  values (p_svix_id, p_message_id, v_type, p_occurred_at, coalesce(p_recipients, '{}'), p_bounce_type, p_bounce_subtype);
  if v_reason is not null then
    insert into public.email_suppressions (address, reason, message_id)
    select distinct lower(r), v_reason, p_message_id from unnest(p_recipients) r
    on conflict do nothing;
  end if;
  return case when v_reason is null then 'recorded' else 'suppressed' end;
end
$$;

-- Each queued e-mail's status and delivery state: its latest delivery event (ties go to the
-- later-arriving one), or null before any.
create function public.email_delivery_states(p_ids uuid[])
returns table (id uuid, status text, message_id text, delivery_state text, delivery_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select q.id, q.status, q.provider_message_id, d.type, d.occurred_at
    from public.email_queue q
    left join lateral (select e.type, e.occurred_at from public.email_delivery_events e
                        where e.message_id = q.provider_message_id
                        order by e.occurred_at desc, e.received_at desc limit 1) d on true
   where q.id = any (p_ids)
$$;


-- As 20261201000600_email_queue.sql made it, with one step more: a picked row to a suppressed
-- address becomes `suppressed` and leaves the claim (the comment below is the original's).
--
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
create or replace function public.claim_email_batch(
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

  -- Rows to a suppressed address go no further (20261202000200_email_deliveries.sql); a row of a
  -- send whose outcome is unknown stays with that send.
  if exists (select 1 from public.email_queue q join public.email_suppressions su on su.address = lower(q.to_email)
              where q.id = any (v_ids) and q.send_id is null) then
    with gone as (
      update public.email_queue q
         set status = 'suppressed', error = 'suppressed: ' || su.reason, updated_at = v_now
        from public.email_suppressions su
       where q.id = any (v_ids) and q.send_id is null and su.address = lower(q.to_email)
      returning q.id
    )
    select array_agg(u.id order by u.ord) into v_ids
      from unnest(v_ids) with ordinality u(id, ord) where u.id not in (select g.id from gone g);
    if v_ids is null then
      return;
    end if;
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

-- Queue health now counts suppressed rows too.
create or replace function public.email_queue_health(p_queue text default 'default')
returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'pending', count(*) filter (where status = 'pending'),
    'failed', count(*) filter (where status = 'failed'),
    'sent', count(*) filter (where status = 'sent'),
    'dead_letter', count(*) filter (where status = 'dead_letter'),
    'suppressed', count(*) filter (where status = 'suppressed'),
    'in_flight', count(*) filter (where status in ('pending', 'failed') and locked_until > now()),
    'oldest_due_seconds', coalesce(extract(epoch from now() - min(next_retry_at)
                                     filter (where status in ('pending', 'failed') and next_retry_at <= now())), 0)::integer)
    from public.email_queue where queue = p_queue
$$;

revoke execute on function public.record_resend_event(text, text, text, timestamptz, text[], text, text),
  public.email_delivery_states(uuid[])
  from public, anon, authenticated;
grant execute on function public.record_resend_event(text, text, text, timestamptz, text[], text, text),
  public.email_delivery_states(uuid[])
  to service_role;
