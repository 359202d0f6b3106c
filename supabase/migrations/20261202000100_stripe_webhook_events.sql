-- Stripe's webhook events, applied exactly once. stripe-webhook verifies an event's signature,
-- reads what it needs to prepare the effect (stripe_event_order), signs the tickets' print
-- codes and builds their e-mails at the edge (the master keys never reach the database), and
-- then apply_stripe_event records the event and makes its whole effect in one transaction:
-- the event's row in webhook_events is the proof that it was applied, so a repeat (Stripe
-- delivers at least once, concurrently too) finds the row and changes nothing, and a failed
-- apply rolls its row back with everything else and goes to the retry queue
-- (20261202000300_webhook_retry_queue.sql).
--
-- Effects, whatever order the events arrive in:
--   checkout.session.completed with payment_status paid (or no_payment_required), and
--   checkout.session.async_payment_succeeded: the order is paid, its tickets issued with the
--     prepared codes, and each ticket's e-mail queued;
--   checkout.session.completed still unpaid (a delayed payment method): its payment intent is
--     noted, and the order waits for async_payment_succeeded or …_failed;
--   checkout.session.expired and checkout.session.async_payment_failed: a pending order is
--     cancelled;
--   charge.refunded, fully refunded: the order is refunded and its tickets too, so the door
--     refuses their codes as revoked. A refund that arrives before the completion it refunds
--     names a payment intent no order has yet: it is held in stripe_early_refunds, and the
--     completion, when it comes, issues the tickets already refunded and queues no e-mail —
--     the state in-order delivery ends in, less the e-mail that came too late to matter.
--     A partial refund is recorded and changes no ticket (which tickets it pays back is a
--     person's decision);
--   any other type: recorded and acknowledged.
--
-- Lock order: the event's unique key (the insert), then its payment intent (an advisory lock,
-- class 1380712449, on the intent's hashtext), then the order's row, then the order's tickets
-- in id order (as scan batches lock them). Repeats of one event wait on its key and then find
-- it taken; a completion and a refund of one payment wait for each other on the intent, so a
-- refund never misses the order a concurrent completion is linking to it; events of one order
-- wait on its row. Errors of this file's own, which the apply's caller retries:
--   UR008  the event names no order we know (yet);
--   UR009  the prepared tickets do not match the order (it changed since they were prepared).

alter table public.orders
  add column stripe_payment_intent_id text unique,
  add column paid_at timestamptz,
  add column closed_at timestamptz;

-- Every webhook event applied, Stripe's and Resend's: its provider's id is the key (Stripe's
-- `evt_…`; for Resend, whose payloads carry no id, the `svix-id` header, which stays the same
-- across its retries).
create table public.webhook_events (
  provider text not null check (provider in ('stripe', 'resend')),
  event_id text not null check (char_length(event_id) between 1 and 255),
  type text not null check (char_length(type) between 1 and 100),
  -- What applying it did: paid, awaiting_payment, closed, refunded, refund_held, …, ignored.
  outcome text not null,
  applied_at timestamptz not null default now(),
  primary key (provider, event_id)
);

-- Full refunds whose payment intent no order had when they arrived.
create table public.stripe_early_refunds (
  payment_intent_id text primary key,
  charge_id text not null,
  event_id text not null,
  received_at timestamptz not null default now()
);

alter table public.webhook_events enable row level security;
alter table public.stripe_early_refunds enable row level security;
revoke all on public.webhook_events, public.stripe_early_refunds from public, anon, authenticated, service_role;
grant select on public.webhook_events, public.stripe_early_refunds to service_role;

-- The order a checkout event is about: by the session's metadata.order_id (create-checkout
-- sets it), else by the session id.
create function public.stripe_session_order(p_session jsonb)
returns uuid
language sql stable security definer
set search_path = ''
as $$
  select o.id from public.orders o
   where o.id = case when p_session #>> '{metadata,order_id}' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                     then (p_session #>> '{metadata,order_id}')::uuid end
  union all
  select o.id from public.orders o where o.stripe_checkout_session_id = p_session ->> 'id'
  limit 1
$$;

-- What preparing an event needs: whether it was applied already and, for a checkout event,
-- its order, the buyer's address and the event's name, and whether the order has tickets.
-- A read: apply_stripe_event decides again under the order's lock.
create function public.stripe_event_order(p_event_id text, p_session jsonb)
returns table (applied boolean, order_id uuid, event_id uuid, user_id uuid, quantity integer, email text,
               event_name text, has_tickets boolean)
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from public.webhook_events w where w.provider = 'stripe' and w.event_id = p_event_id),
         o.id, o.event_id, o.user_id, o.quantity, u.email::text, e.name,
         exists (select 1 from public.tickets t where t.order_id = o.id)
    from (select 1) one
    left join public.orders o on o.id = public.stripe_session_order(p_session)
    left join public.events e on e.id = o.event_id
    left join auth.users u on u.id = o.user_id
$$;

-- Records a Stripe event and applies it (see the header). p_tickets is what stripe-webhook
-- prepared for a payment: [{id, code, email: {to, subject, html, text, tags, attachments,
-- idempotency_key}}], one per ticket of the order, or null. Answers the outcome, or
-- 'duplicate' when the event was applied before.
create function public.apply_stripe_event(p_event_id text, p_type text, p_object jsonb, p_tickets jsonb default null,
                                          p_email_queue text default 'default')
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_order public.orders;
  v_outcome text;
  v_pi text := p_object ->> 'payment_intent';
  v_refund public.stripe_early_refunds;
  v_refunded boolean;
  v_ticket jsonb;
begin
  insert into public.webhook_events (provider, event_id, type, outcome)
  values ('stripe', p_event_id, p_type, 'applying')
  on conflict do nothing;
  if not found then
    return 'duplicate';
  end if;
  if v_pi is not null then
    perform pg_advisory_xact_lock(1380712449, hashtext(v_pi));
  end if;

  if p_type in ('checkout.session.completed', 'checkout.session.async_payment_succeeded',
                'checkout.session.expired', 'checkout.session.async_payment_failed') then
    select * into v_order from public.orders o where o.id = public.stripe_session_order(p_object) for update;
    if not found then
      raise exception 'no order for checkout session %', p_object ->> 'id' using errcode = 'UR008';
    end if;
    if v_pi is not null and v_order.stripe_payment_intent_id is null then
      update public.orders set stripe_payment_intent_id = v_pi where id = v_order.id;
    end if;
  end if;

  if p_type in ('checkout.session.expired', 'checkout.session.async_payment_failed') then
    update public.orders set status = 'cancelled', closed_at = now() where id = v_order.id and status = 'pending';
    v_outcome := case when found then 'closed' else 'ignored' end;
  elsif p_type = 'checkout.session.completed'
        and coalesce(p_object ->> 'payment_status', '') not in ('paid', 'no_payment_required') then
    v_outcome := 'awaiting_payment';
  elsif p_type in ('checkout.session.completed', 'checkout.session.async_payment_succeeded') then
    if exists (select 1 from public.tickets t where t.order_id = v_order.id) then
      v_outcome := 'already_paid';
    else
      if p_tickets is null or jsonb_typeof(p_tickets) <> 'array' or jsonb_array_length(p_tickets) <> v_order.quantity then
        raise exception 'order % needs % prepared tickets', v_order.id, v_order.quantity using errcode = 'UR009';
      end if;
      delete from public.stripe_early_refunds r
       where r.payment_intent_id = coalesce(v_order.stripe_payment_intent_id, v_pi)
      returning * into v_refund;
      -- Refunded before it was paid: by a held refund, or one that found the order by the
      -- payment intent an unpaid completion had noted.
      v_refunded := v_refund.payment_intent_id is not null or v_order.status = 'refunded';
      insert into public.tickets (id, order_id, event_id, user_id, qr_code_signed, status)
      select (t ->> 'id')::uuid, v_order.id, v_order.event_id, v_order.user_id, t ->> 'code',
             case when v_refunded then 'refunded' else 'valid' end
        from jsonb_array_elements(p_tickets) t;
      if not v_refunded then
        update public.orders set status = 'paid', paid_at = now() where id = v_order.id;
        for v_ticket in select * from jsonb_array_elements(p_tickets) loop
          perform public.enqueue_email(
            v_ticket #>> '{email,to}', v_ticket #>> '{email,subject}', v_ticket #>> '{email,html}',
            v_ticket #>> '{email,text}', coalesce(v_ticket #> '{email,tags}', '[]'::jsonb),
            v_ticket #> '{email,attachments}', v_ticket #>> '{email,idempotency_key}', 5, p_email_queue);
        end loop;
        v_outcome := 'paid';
      else
        update public.orders set status = 'refunded', paid_at = now(), closed_at = now() where id = v_order.id;
        v_outcome := 'paid_refunded';
      end if;
    end if;
  elsif p_type = 'charge.refunded' then
    if not coalesce((p_object ->> 'refunded')::boolean, false) then
      v_outcome := 'partial_refund';
    else
      select * into v_order from public.orders o where o.stripe_payment_intent_id = v_pi for update;
      if not found then
        if v_pi is null then
          raise exception 'charge % names no payment intent', p_object ->> 'id' using errcode = 'UR008';
        end if;
        insert into public.stripe_early_refunds (payment_intent_id, charge_id, event_id)
        values (v_pi, coalesce(p_object ->> 'id', ''), p_event_id)
        on conflict do nothing;
        v_outcome := 'refund_held';
      else
        perform 1 from public.tickets t where t.order_id = v_order.id order by t.id for update;
        update public.tickets set status = 'refunded' where order_id = v_order.id and status <> 'refunded';
        update public.orders set status = 'refunded', closed_at = now() where id = v_order.id;
        v_outcome := 'refunded';
      end if;
    end if;
  else
    v_outcome := 'ignored';
  end if;

  update public.webhook_events set outcome = v_outcome where provider = 'stripe' and event_id = p_event_id;
  return v_outcome;
end
$$;

revoke execute on function public.stripe_session_order(jsonb), public.stripe_event_order(text, jsonb),
  public.apply_stripe_event(text, text, jsonb, jsonb, text)
  from public, anon, authenticated;
grant execute on function public.stripe_event_order(text, jsonb),
  public.apply_stripe_event(text, text, jsonb, jsonb, text)
  to service_role;
