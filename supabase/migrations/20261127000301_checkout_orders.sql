-- Checkout: what a ticket costs, and the pending order that create-checkout records with
-- its Stripe Checkout Session. The edge function asks for a quote, creates the session
-- with Stripe, then records the order; the webhook (a later issue) marks it paid.

alter table public.events
  add column ticket_price_cents integer not null default 2500 check (ticket_price_cents >= 0),
  add column currency text not null default 'eur' check (currency ~ '^[a-z]{3}$');
alter table public.orders
  add column quantity integer not null default 1 check (quantity between 1 and 10);

-- What a checkout of `p_quantity` tickets for an event would charge. No row when the event
-- does not exist or has already started: both are "nothing to buy".
create function public.checkout_quote(p_event_id uuid, p_quantity integer)
returns table (event_name text, unit_amount_cents integer, currency text, amount_cents integer)
language sql stable security definer
set search_path = ''
as $$
  select e.name, e.ticket_price_cents, e.currency, e.ticket_price_cents * p_quantity
  from public.events e
  where e.id = p_event_id and e.starts_at > now() and p_quantity between 1 and 10
$$;

-- Records a pending order for a created Checkout Session, in one statement. The amount is
-- recomputed from the event and must equal what the session charges: if the price changed
-- between the quote and now, the order is refused (SQLSTATE P0001) instead of recording a
-- sum the customer was not shown.
create function public.create_pending_order(
  p_order_id uuid, p_user_id uuid, p_event_id uuid, p_quantity integer, p_amount_cents integer, p_session_id text
)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  insert into public.orders (id, user_id, event_id, status, amount_cents, currency, quantity, stripe_checkout_session_id)
  select p_order_id, p_user_id, e.id, 'pending', p_amount_cents, e.currency, p_quantity, p_session_id
  from public.events e
  where e.id = p_event_id and e.ticket_price_cents * p_quantity = p_amount_cents
  returning id into v_id;
  if v_id is null then
    raise exception 'the price of event % changed during checkout', p_event_id using errcode = 'P0001';
  end if;
  return v_id;
end
$$;

revoke execute on function public.checkout_quote(uuid, integer) from public, anon, authenticated;
revoke execute on function public.create_pending_order(uuid, uuid, uuid, integer, integer, text)
  from public, anon, authenticated;
grant execute on function public.checkout_quote(uuid, integer) to service_role;
grant execute on function public.create_pending_order(uuid, uuid, uuid, integer, integer, text) to service_role;
