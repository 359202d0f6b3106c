-- The checkout and push tables and functions: only the service role starts checkouts,
-- records orders for sessions and records push deliveries, and only it reads them. Each
-- refusal the functions raise carries the project's own SQLSTATE.
begin;
select plan(24);

select ok((select relrowsecurity from pg_class where oid = 'public.push_deliveries'::regclass),
          'RLS is enabled on push_deliveries');
select ok((select relrowsecurity from pg_class where oid = 'public.checkout_requests'::regclass),
          'RLS is enabled on checkout_requests');

set local role authenticated;
select tests.as_user('00000000-0000-4000-8000-000000000001');
select throws_ok($$ select * from public.push_deliveries $$, '42501', null, 'a user cannot read push deliveries');
select throws_ok($$ select * from public.checkout_requests $$, '42501', null, 'a user cannot read checkout requests');
select throws_ok($$ select public.begin_push_delivery(auth.uid(), 't', 'x') $$, '42501', null,
                 'a user cannot record a delivery');
select throws_ok($$ select public.settle_push_delivery(gen_random_uuid(), 'sent', 'id', null) $$, '42501', null,
                 'a user cannot settle a delivery');
select throws_ok($$ select public.record_checkout(gen_random_uuid(), auth.uid(),
                      '10000000-0000-4000-8000-000000000001', 1, 2500, 'cs_forged', 'https://x', null) $$,
                 '42501', null, 'a user cannot record an order for a session');
select throws_ok($$ select * from public.begin_checkout(auth.uid(), '10000000-0000-4000-8000-000000000001', 1) $$,
                 '42501', null, 'a user cannot start a checkout directly');

reset role;
set local role service_role;
select results_eq($$ select amount_cents from public.begin_checkout('00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 3) $$,
                  array[7500], 'the quote is the ticket price times the quantity');
select throws_ok($$ select * from public.begin_checkout(gen_random_uuid(), '10000000-0000-4000-8000-000000000001', 1) $$,
                 'UR002', null, 'a caller without an account is refused before anything else');
select throws_ok($$ select * from public.begin_checkout('00000000-0000-4000-8000-000000000001', gen_random_uuid(), 1) $$,
                 'UR004', null, 'an unknown event is refused');

-- The same key answers the same order; with another body it is refused.
create temporary table first_try on commit drop as
  select * from public.begin_checkout('00000000-0000-4000-8000-000000000001',
                                      '10000000-0000-4000-8000-000000000001', 2, 'key-033');
select throws_ok($$ select * from public.begin_checkout('00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 2, 'key-033') $$,
                 'UR006', null, 'while the first request holds the key, a second is told to retry');
select lives_ok($$ select public.release_checkout('00000000-0000-4000-8000-000000000001', 'key-033', order_id, false)
                     from first_try $$, 'an attempt whose outcome is unknown lets go of the key');
select results_eq($$ select order_id, checkout_url from public.begin_checkout('00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 2, 'key-033') $$,
                  $$ select order_id, null::text from first_try $$, 'the retry takes it over with the same order');
select throws_ok($$ select * from public.begin_checkout('00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 3, 'key-033') $$,
                 'UR003', null, 'the key with another quantity is refused');
select lives_ok($$ select public.record_checkout(order_id, '00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 2, amount_cents, 'cs_test_033',
                      'https://checkout.stripe.com/c/pay/cs_test_033', 'key-033') from first_try $$,
                'the order is recorded with its session');
select results_eq($$ select checkout_url from public.begin_checkout('00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 2, 'key-033') $$,
                  array['https://checkout.stripe.com/c/pay/cs_test_033'],
                  'once the session exists, the key answers its url');
select lives_ok($$ select public.record_checkout(order_id, '00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 2, amount_cents, 'cs_test_033',
                      'https://checkout.stripe.com/c/pay/cs_test_033', 'key-033') from first_try $$,
                'recording the same order again (two retries racing) is harmless');
select results_eq($$ select count(*)::int from public.orders where stripe_checkout_session_id = 'cs_test_033' $$,
                  array[1], 'and leaves one order');
reset role;
update public.checkout_requests set created_at = now() - interval '25 hours' where idempotency_key = 'key-033';
set local role service_role;
select results_ne($$ select order_id from public.begin_checkout('00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 3, 'key-033') $$,
                  $$ select order_id from first_try $$, 'after 24 hours the key starts a new checkout');
select throws_ok($$ select public.record_checkout(gen_random_uuid(), '00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 3, 100, 'cs_wrong_amount', 'https://x', null) $$,
                 'UR001', null, 'an order whose amount does not match the price is refused');

select throws_ok($$ select public.begin_push_delivery(gen_random_uuid(), 'ExponentPushToken[x]', 'Hi') $$,
                 'UR005', null, 'a push for an unknown user is refused');
select results_eq($$ with d as (select public.begin_push_delivery('00000000-0000-4000-8000-000000000001',
                                   'ExponentPushToken[x]', 'Hi') as id)
                     select public.settle_push_delivery(id, 'sent', 'ticket-1', null) from d $$,
                  array[true], 'service_role records a delivery, then settles it');
select throws_ok($$ with d as (select public.begin_push_delivery('00000000-0000-4000-8000-000000000001',
                                  'ExponentPushToken[x]', 'Hi') as id)
                    select public.settle_push_delivery(id, 'sent', null, null) from d $$, '23514', null,
                 'a sent delivery must carry the provider''s ticket id');

select * from finish();
rollback;
