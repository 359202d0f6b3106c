-- The base schema's row level security, seen by each API role.
begin;
select plan(16);

-- Two people of our own, so the counts below do not depend on what the seed data, the demo
-- or other tests have added to the database.
insert into auth.users (id, email) values
  ('a0000000-0000-4000-8000-00000000000a', 'alice@rls.test'),
  ('b0000000-0000-4000-8000-00000000000b', 'bob@rls.test');
insert into public.events (id, name, starts_at) values
  ('e0000000-0000-4000-8000-00000000000e', 'RLS test', now());
insert into public.orders (id, user_id, event_id, status, amount_cents) values
  ('c0000000-0000-4000-8000-00000000000a', 'a0000000-0000-4000-8000-00000000000a', 'e0000000-0000-4000-8000-00000000000e', 'paid', 100),
  ('c0000000-0000-4000-8000-00000000000b', 'b0000000-0000-4000-8000-00000000000b', 'e0000000-0000-4000-8000-00000000000e', 'paid', 100);
insert into public.tickets (order_id, event_id, user_id, qr_code) values
  ('c0000000-0000-4000-8000-00000000000a', 'e0000000-0000-4000-8000-00000000000e', 'a0000000-0000-4000-8000-00000000000a', 'RLSALC01'),
  ('c0000000-0000-4000-8000-00000000000a', 'e0000000-0000-4000-8000-00000000000e', 'a0000000-0000-4000-8000-00000000000a', 'RLSALC02'),
  ('c0000000-0000-4000-8000-00000000000b', 'e0000000-0000-4000-8000-00000000000e', 'b0000000-0000-4000-8000-00000000000b', 'RLSBOB01');

-- Every app table has RLS on.
select ok((select bool_and(relrowsecurity) from pg_class
           where oid in ('public.events'::regclass, 'public.orders'::regclass,
                         'public.tickets'::regclass, 'public.event_staff'::regclass)),
          'RLS is enabled on every app table');

-- anon sees events and nothing personal.
set local role anon;
select tests.as_claims('{"role":"anon"}');
select isnt_empty($$ select * from public.events $$, 'anon sees events');
select throws_ok($$ select * from public.tickets $$, '42501', null, 'anon cannot read tickets');
select throws_ok($$ select * from public.orders $$, '42501', null, 'anon cannot read orders');
select throws_ok($$ select * from public.event_staff $$, '42501', null, 'anon cannot read event staff');

-- A user sees only their own tickets and orders.
set local role authenticated;
select tests.as_user('a0000000-0000-4000-8000-00000000000a');
select results_eq($$ select count(*)::int from public.tickets $$, array[2], 'alice sees her two tickets');
select is_empty($$ select * from public.tickets where user_id <> auth.uid() $$, 'alice sees nobody else''s tickets');
select results_eq($$ select count(*)::int from public.orders $$, array[1], 'alice sees her one order');
select tests.as_user('b0000000-0000-4000-8000-00000000000b');
select results_eq($$ select count(*)::int from public.tickets $$, array[1], 'bob sees his one ticket');

-- No client role writes tickets, even its own.
select tests.as_user('a0000000-0000-4000-8000-00000000000a');
select throws_ok($$ update public.tickets set redeemed_at = now() where user_id = auth.uid() $$,
                 '42501', null, 'a user cannot mark their own ticket redeemed');
select throws_ok($$ insert into public.tickets (order_id, event_id, user_id, qr_code)
                    values ('c0000000-0000-4000-8000-00000000000a', 'e0000000-0000-4000-8000-00000000000e',
                            auth.uid(), 'FORGED01') $$,
                 '42501', null, 'a user cannot mint a ticket');
select throws_ok($$ delete from public.orders $$, '42501', null, 'a user cannot delete orders');
select throws_ok($$ select public.is_event_staff('e0000000-0000-4000-8000-00000000000e', auth.uid(), 'scanner') $$,
                 '42501', null, 'a user cannot probe staff membership directly');
select results_eq($$ select count(*)::int from public.event_staff $$, array[0], 'a non-staff user sees no staff rows');

-- The service role sees everything (it bypasses RLS) and may ask about staff.
reset role;
set local role service_role;
select results_eq($$ select count(*)::int >= 3 from public.tickets $$, array[true], 'service_role sees all tickets');
select ok(public.is_event_staff('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003', 'scanner'),
          'service_role can check staff membership');

select * from finish();
rollback;
