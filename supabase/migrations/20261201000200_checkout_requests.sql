-- Checkout, made safe to retry. create-checkout now asks begin_checkout first, which
-- refuses a caller whose account is gone before Stripe is called, and which remembers a
-- request made with an Idempotency-Key for 24 hours: the same key from the same user
-- answers the same order (and, once Stripe made it, the same session), and the key with
-- another body is refused.
--
-- The order id is drawn here and is the key of the Stripe call too (`checkout-<order id>`),
-- so Stripe's own idempotency holds when our answer was lost: a retry after a timeout asks
-- Stripe again with the same key and gets the session it already made. Stripe keeps the
-- first answer for a key, failures included, refuses the key with other parameters, and
-- refuses two calls with one key at once, so three rules follow:
--   * one request at a time holds a key: begin_checkout leases it for 30 s, and another
--     request with the key meanwhile is told to retry shortly (UR006);
--   * a definite failure (Stripe answered with an error) releases the key with a fresh
--     order id, so the retry is a new Stripe call, not a replay of the failure; a call whose
--     outcome is unknown (a timeout) releases it with the same order id;
--   * a request that takes over a released key is priced anew, and a new price gets a new
--     order id, since Stripe would refuse the old key with another amount.
--
-- The project's own SQLSTATEs (class UR), mapped to HTTP answers in one table in
-- edge-functions/_shared/sql_errors.ts:
--   UR001  the price changed between the quote and the order      409 price_changed
--   UR002  the caller's account does not exist                     403 account_not_found
--   UR003  an Idempotency-Key reused with another request          422 idempotency_key_reused
--   UR004  no upcoming event with that id                          404 event_not_found
--   UR006  another request with this Idempotency-Key is under way  409 checkout_in_progress

create table public.checkout_requests (
  user_id uuid not null references auth.users (id) on delete cascade,
  idempotency_key text not null check (idempotency_key ~ '^[\x21-\x7e]{1,255}$'),
  event_id uuid not null references public.events (id),
  quantity integer not null check (quantity between 1 and 10),
  amount_cents integer not null check (amount_cents >= 0),
  order_id uuid not null unique,
  stripe_checkout_session_id text,
  checkout_url text,
  -- While a request holds the key (it is calling Stripe); null once it let go.
  leased_until timestamptz,
  created_at timestamptz not null default now(),
  primary key (user_id, idempotency_key),
  check ((stripe_checkout_session_id is null) = (checkout_url is null))
);
alter table public.checkout_requests enable row level security;
revoke all on public.checkout_requests from public, anon, authenticated;
grant select on public.checkout_requests to service_role;

-- What a checkout will charge and under which order id, or the answer already given. One
-- row: `checkout_url` is set when an earlier request with the same key already has its
-- session (the caller gets that answer again), null when Stripe is to be called.
create function public.begin_checkout(
  p_user_id uuid, p_event_id uuid, p_quantity integer, p_idempotency_key text default null
)
returns table (
  order_id uuid, event_name text, unit_amount_cents integer, currency text, amount_cents integer,
  checkout_url text
)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_request public.checkout_requests%rowtype;
  v_event public.events%rowtype;
begin
  if not exists (select 1 from auth.users u where u.id = p_user_id) then
    raise exception 'no account %', p_user_id using errcode = 'UR002';
  end if;
  select * into v_event from public.events e
   where e.id = p_event_id and e.starts_at > now() and p_quantity between 1 and 10;

  if p_idempotency_key is not null then
    -- A key seen in the last 24 h keeps its first request; an older one starts afresh.
    insert into public.checkout_requests as r
      (user_id, idempotency_key, event_id, quantity, amount_cents, order_id, leased_until)
    select p_user_id, p_idempotency_key, v_event.id, p_quantity, v_event.ticket_price_cents * p_quantity,
           gen_random_uuid(), now() + interval '30 seconds'
     where v_event.id is not null
    on conflict (user_id, idempotency_key) do update
       set event_id = excluded.event_id, quantity = excluded.quantity, amount_cents = excluded.amount_cents,
           order_id = excluded.order_id, stripe_checkout_session_id = null, checkout_url = null,
           leased_until = excluded.leased_until, created_at = now()
     where r.created_at < now() - interval '24 hours'
    returning * into v_request;
    if v_request.order_id is null then
      -- The key is in use (a concurrent first request waited on above has committed by
      -- now), or the event is not on sale.
      select * into v_request from public.checkout_requests r
       where r.user_id = p_user_id and r.idempotency_key = p_idempotency_key
         and r.created_at >= now() - interval '24 hours'
         for update;
      if v_request.order_id is not null
         and (v_request.event_id <> p_event_id or v_request.quantity <> p_quantity) then
        raise exception 'idempotency key reused with another request' using errcode = 'UR003';
      end if;
      if v_request.checkout_url is not null then
        order_id := v_request.order_id;
        checkout_url := v_request.checkout_url;
        return next;
        return;
      end if;
      if v_request.leased_until > now() then
        raise exception 'a request with this idempotency key is under way' using errcode = 'UR006';
      end if;
      if v_request.order_id is not null and v_event.id is not null then
        -- Taking over a released key: today's price decides, and a new one a new order id.
        update public.checkout_requests r
           set leased_until = now() + interval '30 seconds',
               order_id = case when r.amount_cents = v_event.ticket_price_cents * p_quantity
                               then r.order_id else gen_random_uuid() end,
               amount_cents = v_event.ticket_price_cents * p_quantity
         where r.user_id = p_user_id and r.idempotency_key = p_idempotency_key
        returning * into v_request;
      end if;
    end if;
  end if;

  if v_event.id is null then
    raise exception 'no upcoming event %', p_event_id using errcode = 'UR004';
  end if;
  order_id := coalesce(v_request.order_id, gen_random_uuid());
  event_name := v_event.name;
  unit_amount_cents := v_event.ticket_price_cents;
  currency := v_event.currency;
  amount_cents := v_event.ticket_price_cents * p_quantity;
  checkout_url := null;
  return next;
end
$$;

-- Lets go of a key after a failed Stripe call: with a fresh order id after a definite
-- failure (Stripe keeps that failure for the old one), with the same one when the outcome
-- is unknown (Stripe may have made the session, and will answer it for the same key).
create function public.release_checkout(
  p_user_id uuid, p_idempotency_key text, p_order_id uuid, p_fresh_order boolean
)
returns void
language sql volatile security definer
set search_path = ''
as $$
  update public.checkout_requests r
     set leased_until = null,
         order_id = case when p_fresh_order then gen_random_uuid() else r.order_id end
   where r.user_id = p_user_id and r.idempotency_key = p_idempotency_key and r.order_id = p_order_id
     and r.checkout_url is null
$$;

-- Records the pending order for a created Checkout Session, and the session against the
-- request's key. The amount is recomputed from the event and must equal what the session
-- charges: if the price changed since the quote, nothing is recorded (UR001) rather than a
-- sum the customer was not shown. A second call for the same order (two retries racing)
-- records nothing more.
create function public.record_checkout(
  p_order_id uuid, p_user_id uuid, p_event_id uuid, p_quantity integer, p_amount_cents integer,
  p_session_id text, p_checkout_url text, p_idempotency_key text default null
)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.events e
                  where e.id = p_event_id and e.ticket_price_cents * p_quantity = p_amount_cents) then
    raise exception 'the price of event % changed during checkout', p_event_id using errcode = 'UR001';
  end if;
  insert into public.orders (id, user_id, event_id, status, amount_cents, currency, quantity, stripe_checkout_session_id)
  select p_order_id, p_user_id, e.id, 'pending', p_amount_cents, e.currency, p_quantity, p_session_id
    from public.events e
   where e.id = p_event_id
  on conflict (id) do nothing;
  if p_idempotency_key is not null then
    update public.checkout_requests r
       set stripe_checkout_session_id = p_session_id, checkout_url = p_checkout_url, leased_until = null
     where r.user_id = p_user_id and r.idempotency_key = p_idempotency_key and r.order_id = p_order_id;
  end if;
  return p_order_id;
end
$$;

revoke execute on function public.begin_checkout(uuid, uuid, integer, text) from public, anon, authenticated;
revoke execute on function public.release_checkout(uuid, text, uuid, boolean) from public, anon, authenticated;
grant execute on function public.release_checkout(uuid, text, uuid, boolean) to service_role;
revoke execute on function public.record_checkout(uuid, uuid, uuid, integer, integer, text, text, text)
  from public, anon, authenticated;
grant execute on function public.begin_checkout(uuid, uuid, integer, text) to service_role;
grant execute on function public.record_checkout(uuid, uuid, uuid, integer, integer, text, text, text) to service_role;

-- Replaced by the two above; nothing calls them any more.
drop function public.checkout_quote(uuid, integer);
drop function public.create_pending_order(uuid, uuid, uuid, integer, integer, text);

-- A key is remembered for 24 hours; older requests go, every hour.
select cron.schedule('checkout-requests-cleanup', '41 * * * *',
  $$delete from public.checkout_requests where created_at < now() - interval '24 hours'$$);
