-- The checkout and push tables and functions added with rate limiting: only the service
-- role records orders for sessions and push deliveries, and only it reads deliveries.
begin;
select plan(9);

select ok((select relrowsecurity from pg_class where oid = 'public.push_deliveries'::regclass),
          'RLS is enabled on push_deliveries');

set local role authenticated;
select tests.as_user('00000000-0000-4000-8000-000000000001');
select throws_ok($$ select * from public.push_deliveries $$, '42501', null, 'a user cannot read push deliveries');
select throws_ok($$ select public.record_push_delivery(auth.uid(), 't', 'x', 'sent', 'id', null) $$, '42501', null,
                 'a user cannot record a delivery');
select throws_ok($$ select public.create_pending_order(gen_random_uuid(), auth.uid(),
                      '10000000-0000-4000-8000-000000000001', 1, 2500, 'cs_forged') $$, '42501', null,
                 'a user cannot record an order for a session');
select throws_ok($$ select * from public.checkout_quote('10000000-0000-4000-8000-000000000001', 1) $$, '42501', null,
                 'a user cannot call checkout_quote directly');

reset role;
set local role service_role;
select results_eq($$ select amount_cents from public.checkout_quote('10000000-0000-4000-8000-000000000001', 3) $$,
                  array[7500], 'the quote is the ticket price times the quantity');
select throws_ok($$ select public.create_pending_order(gen_random_uuid(), '00000000-0000-4000-8000-000000000001',
                      '10000000-0000-4000-8000-000000000001', 3, 100, 'cs_wrong_amount') $$, 'P0001', null,
                 'an order whose amount does not match the price is refused');
select lives_ok($$ select public.record_push_delivery('00000000-0000-4000-8000-000000000001',
                     'ExponentPushToken[x]', 'Hi', 'sent', 'ticket-1', null) $$,
                'service_role records a delivery');
select throws_ok($$ select public.record_push_delivery('00000000-0000-4000-8000-000000000001',
                      'ExponentPushToken[x]', 'Hi', 'sent', null, null) $$, '23514', null,
                 'a sent delivery must carry the provider''s ticket id');

select * from finish();
rollback;
