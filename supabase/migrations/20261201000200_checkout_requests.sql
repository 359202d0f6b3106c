-- Checkout, made safe to retry. create-checkout now asks begin_checkout first, which
-- refuses a caller whose account is gone before Stripe is called, and which remembers a
-- request made with an Idempotency-Key for 24 hours: the same key from the same user
-- answers the same order (and, once Stripe made it, the same session), and the key with
-- another body is refused. The order id is drawn here, once per key, and is the key of
-- the Stripe call too, so two retries racing each other get one session from Stripe and
-- record one order.
--
-- The project's own SQLSTATEs (class UR), mapped to HTTP answers in one table in
-- edge-functions/_shared/sql_errors.ts:
--   UR001  the price changed between the quote and the order      409 price_changed
--   UR002  the caller's account does not exist                     403 account_not_found
--   UR003  an Idempotency-Key reused with another request          422 idempotency_key_reused
--   UR004  no upcoming event with that id                          404 event_not_found

create table public.checkout_requests (
  user_id uuid not null references auth.users (id) on delete cascade,
  idempotency_key text not null check (idempotency_key ~ '^[\x21-\x7e]{1,255}$'),
  event_id uuid not null references public.events (id),
  quantity integer not null check (quantity between 1 and 10),
  amount_cents integer not null check (amount_cents >= 0),
  order_id uuid not null unique,
  stripe_checkout_session_id text,
  checkout_url text,
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
begin
  if not exists (select 1 from auth.users u where u.id = p_user_id) then
    raise exception 'no account %', p_user_id using errcode = 'UR002';
  end if;
  if p_idempotency_key is not null then
    -- A key seen in the last 24 h keeps its first request; an older one starts afresh.
    insert into public.checkout_requests as r (user_id, idempotency_key, event_id, quantity, amount_cents, order_id)
    select p_user_id, p_idempotency_key, e.id, p_quantity, e.ticket_price_cents * p_quantity, gen_random_uuid()
      from public.events e
     where e.id = p_event_id and e.starts_at > now() and p_quantity between 1 and 10
    on conflict (user_id, idempotency_key) do update
       set event_id = excluded.event_id, quantity = excluded.quantity, amount_cents = excluded.amount_cents,
           order_id = excluded.order_id, stripe_checkout_session_id = null, checkout_url = null,
           created_at = now()
     where r.created_at < now() - interval '24 hours'
    returning * into v_request;
    if v_request.order_id is null then
      -- Either the key is in use (a concurrent first request waited on above has committed
      -- by now), or the event is not on sale.
      select * into v_request from public.checkout_requests r
       where r.user_id = p_user_id and r.idempotency_key = p_idempotency_key
         and r.created_at >= now() - interval '24 hours';
      if v_request.order_id is not null
         and (v_request.event_id <> p_event_id or v_request.quantity <> p_quantity) then
        raise exception 'idempotency key reused with another request' using errcode = 'UR003';
      end if;
    end if;
  end if;

  return query
    select coalesce(v_request.order_id, gen_random_uuid()), e.name, e.ticket_price_cents, e.currency,
           coalesce(v_request.amount_cents, e.ticket_price_cents * p_quantity), v_request.checkout_url
      from public.events e
     where e.id = p_event_id and p_quantity between 1 and 10
       and (v_request.order_id is not null or e.starts_at > now());
  if not found then
    raise exception 'no upcoming event %', p_event_id using errcode = 'UR004';
  end if;
end
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
       set stripe_checkout_session_id = p_session_id, checkout_url = p_checkout_url
     where r.user_id = p_user_id and r.idempotency_key = p_idempotency_key and r.order_id = p_order_id;
  end if;
  return p_order_id;
end
$$;

revoke execute on function public.begin_checkout(uuid, uuid, integer, text) from public, anon, authenticated;
revoke execute on function public.record_checkout(uuid, uuid, uuid, integer, integer, text, text, text)
  from public, anon, authenticated;
grant execute on function public.begin_checkout(uuid, uuid, integer, text) to service_role;
grant execute on function public.record_checkout(uuid, uuid, uuid, integer, integer, text, text, text) to service_role;

-- Replaced by the two above; nothing calls them any more.
drop function public.checkout_quote(uuid, integer);
drop function public.create_pending_order(uuid, uuid, uuid, integer, integer, text);
