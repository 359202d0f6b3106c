-- Webhooks: only the service role reaches the events, the retry queue, the delivery events
-- and the suppression list; Stripe events apply once and converge whatever their order; a
-- hard bounce suppresses an address and the queue honours it; retries keep to their leases.
begin;
select plan(43);

select ok((select bool_and(relrowsecurity) from pg_class
            where oid in ('public.webhook_events'::regclass, 'public.stripe_early_refunds'::regclass,
                          'public.webhook_retry_queue'::regclass, 'public.email_delivery_events'::regclass,
                          'public.email_suppressions'::regclass)), 'RLS is enabled on the webhook tables');
select is_empty($$ select grantee, table_name, privilege_type from information_schema.role_table_grants
                    where table_name in ('webhook_events', 'stripe_early_refunds', 'webhook_retry_queue',
                                         'email_delivery_events', 'email_suppressions')
                      and grantee in ('anon', 'authenticated', 'PUBLIC') $$,
                'no client role holds any right on the webhook tables');
select is_empty($$ select p.oid::regprocedure from pg_proc p
                    where p.pronamespace = 'public'::regnamespace
                      and (p.proname ~ 'webhook|stripe|resend|email_delivery')
                      and (has_function_privilege('anon', p.oid, 'execute')
                           or has_function_privilege('authenticated', p.oid, 'execute')) $$,
                'no client role may execute a webhook function');
select is_empty($$ select s.relname from pg_class s
                    where s.relkind = 'S' and s.relname like 'webhook%'
                      and (has_sequence_privilege('anon', s.oid, 'usage,select,update')
                           or has_sequence_privilege('authenticated', s.oid, 'usage,select,update')) $$,
                'nor touch the retry queue''s sequence');

create temporary table client_statements on commit drop as select array[
  'select * from public.webhook_events', 'select * from public.webhook_retry_queue',
  'select * from public.email_suppressions', 'select * from public.email_delivery_events',
  'select * from public.stripe_early_refunds',
  'delete from public.email_suppressions',
  $q$select public.apply_stripe_event('evt_x', 'charge.refunded', '{}')$q$,
  $q$select * from public.stripe_event_order('evt_x', '{}')$q$,
  $q$select public.record_resend_event('msg_x', 'email.bounced', 'm', now(), array['a@example.com'], 'Permanent')$q$,
  $q$select * from public.email_delivery_states(array[gen_random_uuid()])$q$,
  $q$select public.enqueue_webhook_retry('stripe', 'evt_x', '{}', 'e', now())$q$,
  $q$select * from public.claim_webhook_retries('w', 10)$q$,
  $q$select public.settle_webhook_retry(1, 'w', true)$q$,
  $q$select public.replay_webhook_dead_letters(array[1::bigint])$q$,
  $q$select public.webhook_retry_health()$q$
  ] as statements;
select is_empty($$ select tests.allowed('anon', statements) from client_statements $$, 'anon is refused every webhook table and function');
select is_empty($$ select tests.allowed('authenticated', statements) from client_statements $$, 'authenticated is refused every webhook table and function');

-- An order to pay, as create-checkout leaves it.
insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000b1', 'buyer@example.com');
insert into public.events (id, name, starts_at) values ('00000000-0000-4000-8000-0000000000e1', 'Gig', now() + interval '1 day');
insert into public.orders (id, user_id, event_id, status, amount_cents, quantity, stripe_checkout_session_id) values
  ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000e1',
   'pending', 5000, 2, 'cs_one'),
  ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000e1',
   'pending', 5000, 2, 'cs_two'),
  ('00000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000e1',
   'pending', 2500, 1, 'cs_three');

create function pg_temp.tickets(p_n integer) returns jsonb language sql as $$
  select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'code', 'v1.pgtap.' || gen_random_uuid(),
                   'email', jsonb_build_object('to', 'buyer@example.com', 'subject', 'Your ticket', 'html', '<p>t</p>',
                                               'idempotency_key', 'pgtap-ticket-' || gen_random_uuid())))
    from generate_series(1, p_n) i
$$;
create function pg_temp.session(p_id text, p_order text, p_pi text, p_status text default 'paid') returns jsonb language sql as $$
  select jsonb_build_object('id', p_id, 'payment_status', p_status, 'payment_intent', p_pi,
                            'metadata', jsonb_build_object('order_id', p_order))
$$;

set local role service_role;
select throws_ok($$ insert into public.webhook_events (provider, event_id, type, outcome) values ('stripe', 'e', 't', 'o') $$,
                 '42501', null, 'even the service role records events only through the functions');
select throws_ok($$ update public.webhook_retry_queue set status = 'succeeded' $$, '42501', null,
                 'and changes the retry queue only through them');

select is(public.apply_stripe_event('evt_pay1', 'checkout.session.completed',
                                    pg_temp.session('cs_one', '00000000-0000-4000-8000-0000000000a1', 'pi_one'),
                                    pg_temp.tickets(2)), 'paid', 'a paid completion pays the order');
select is((select status from public.orders where id = '00000000-0000-4000-8000-0000000000a1'), 'paid', 'the order is paid');
select is((select count(*)::int from public.tickets where order_id = '00000000-0000-4000-8000-0000000000a1' and status = 'valid'),
          2, 'its two tickets are issued');
select is((select count(*)::int from public.email_queue where to_email = 'buyer@example.com' and idempotency_key like 'pgtap-ticket-%'),
          2, 'and their e-mails queued');
select is(public.apply_stripe_event('evt_pay1', 'checkout.session.completed',
                                    pg_temp.session('cs_one', '00000000-0000-4000-8000-0000000000a1', 'pi_one'),
                                    pg_temp.tickets(2)), 'duplicate', 'the same event again is a duplicate');
select is((select count(*)::int from public.tickets where order_id = '00000000-0000-4000-8000-0000000000a1'), 2,
          'and issues nothing');
select is(public.apply_stripe_event('evt_pay1b', 'checkout.session.async_payment_succeeded',
                                    pg_temp.session('cs_one', '00000000-0000-4000-8000-0000000000a1', 'pi_one'),
                                    pg_temp.tickets(2)), 'already_paid', 'another event paying the same order issues nothing');
select is(public.apply_stripe_event('evt_ref1', 'charge.refunded',
                                    '{"id":"ch_1","refunded":true,"payment_intent":"pi_one"}'), 'refunded',
          'a full refund refunds the order');
select is((select array_agg(distinct status) from public.tickets where order_id = '00000000-0000-4000-8000-0000000000a1'),
          array['refunded'], 'and its tickets');

select is(public.apply_stripe_event('evt_ref2', 'charge.refunded',
                                    '{"id":"ch_2","refunded":true,"payment_intent":"pi_two"}'), 'refund_held',
          'a refund before its completion is held');
select is(public.apply_stripe_event('evt_pay2', 'checkout.session.completed',
                                    pg_temp.session('cs_two', '00000000-0000-4000-8000-0000000000a2', 'pi_two'),
                                    pg_temp.tickets(2)), 'paid_refunded', 'and the completion finds it');
select is((select status from public.orders where id = '00000000-0000-4000-8000-0000000000a2'), 'refunded',
          'the order ends refunded, as in order');
select is((select array_agg(status) from public.tickets where order_id = '00000000-0000-4000-8000-0000000000a2'),
          array['refunded', 'refunded'], 'with its tickets issued refunded');
select is((select count(*)::int from public.stripe_early_refunds), 0, 'and the held refund used up');

select throws_ok($$ select public.apply_stripe_event('evt_pay3', 'checkout.session.completed',
                                    pg_temp.session('cs_three', '00000000-0000-4000-8000-0000000000a3', 'pi_three'),
                                    pg_temp.tickets(2)) $$, 'UR009', null, 'tickets prepared for another quantity are refused');
select is((select count(*)::int from public.webhook_events where event_id = 'evt_pay3'), 0,
          'and the refused event is not recorded');
select throws_ok($$ select public.apply_stripe_event('evt_nope', 'checkout.session.completed',
                                    pg_temp.session('cs_nope', null, 'pi_nope'), pg_temp.tickets(1)) $$,
                 'UR008', null, 'an event for no known order is refused, for the retry queue');
select is(public.apply_stripe_event('evt_exp3', 'checkout.session.expired',
                                    pg_temp.session('cs_three', '00000000-0000-4000-8000-0000000000a3', null, 'unpaid')),
          'closed', 'an expired session closes its pending order');
select is(public.apply_stripe_event('evt_other', 'customer.created', '{"id":"cus_1"}'), 'ignored',
          'an unknown type is recorded and acknowledged');

-- Resend: a hard bounce suppresses, a soft one does not, and the claim honours the list.
select is(public.record_resend_event('msg_1', 'email.bounced', 're_1', now(), array['Gone@Example.com'], 'Permanent', 'General'),
          'suppressed', 'a hard bounce suppresses its recipient');
select is(public.record_resend_event('msg_1', 'email.bounced', 're_1', now(), array['Gone@Example.com'], 'Permanent', 'General'),
          'duplicate', 'the same svix id again is a duplicate');
select is(public.record_resend_event('msg_2', 'email.bounced', 're_2', now(), array['soft@example.com'], 'Transient'),
          'recorded', 'a soft bounce is only recorded');
select is((select array_agg(address) from public.email_suppressions where address in ('gone@example.com', 'soft@example.com')),
          array['gone@example.com'],
          'the list holds the hard-bounced address, in lower case');
insert into public.email_settings (queue) values ('pgtap-webhooks');
select * from public.enqueue_email('gone@example.com', 'Hi', '<p>x</p>', null, '[]', null, null, 5, 'pgtap-webhooks');
select * from public.enqueue_email('fine@example.com', 'Hi', '<p>y</p>', null, '[]', null, null, 5, 'pgtap-webhooks');
select is((select array_agg(to_email) from public.claim_email_batch('w', 10, 'pgtap-webhooks')), array['fine@example.com'],
          'the claim sends only to the unsuppressed address');
select is((select status from public.email_queue where queue = 'pgtap-webhooks' and to_email = 'gone@example.com'),
          'suppressed', 'the other is suppressed, not sent and not retried');

-- The retry queue: one row per event, holder-only settling, dead letters replayed by event id.
select is(public.enqueue_webhook_retry('stripe', 'evt_poison', '{"id":"evt_poison"}', 'PostgresError UR008', now()),
          public.enqueue_webhook_retry('stripe', 'evt_poison', '{"id":"evt_poison"}', 'again', now()),
          'an event queued twice has one row');
create temporary table got on commit drop as select * from public.claim_webhook_retries('w1', 10);
select is((select attempts from got where event_id = 'evt_poison'), 2, 'a claim counts the try it starts');
select is((select count(*)::int from public.claim_webhook_retries('w2', 10)), 0, 'a leased row is no one else''s');
select ok(not public.settle_webhook_retry((select id from got where event_id = 'evt_poison'), 'w2', true),
          'a worker without the lease cannot settle it');
select ok(public.settle_webhook_retry((select id from got where event_id = 'evt_poison'), 'w1', false, null, 'PostgresError UR008'),
          'the holder dead-letters it');
select results_eq($$ select public.replay_webhook_dead_letters(p_event_ids => array['evt_poison']) $$,
                  $$ select id from got where event_id = 'evt_poison' $$, 'a dead letter is replayed by event id');
select is((select status || '/' || attempts from public.webhook_retry_queue where event_id = 'evt_poison'), 'pending/0',
          'pending again with its tries given back');
select ok(public.settle_webhook_retry((select id from public.claim_webhook_retries('w3', 10) where event_id = 'evt_poison'),
                                      'w3', false, null, 'again'), 'dead again');
select is(public.enqueue_webhook_retry('stripe', 'evt_poison', '{"id":"evt_poison"}', 'redelivered', now() + interval '1 minute'),
          (select id from got where event_id = 'evt_poison'), 'a redelivery that fails again keeps the row');
select is((select status || '/' || attempts from public.webhook_retry_queue where event_id = 'evt_poison'), 'pending/1',
          'and brings a dead letter back to the schedule');

select * from finish();
rollback;
