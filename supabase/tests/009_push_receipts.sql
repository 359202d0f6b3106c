-- Push receipts: only the service role reaches the receipt functions and the retired tokens;
-- a claim leases due rows, only its holder records them, each receipt is recorded once, a
-- missing receipt waits for the next check, and DeviceNotRegistered retires its token, which
-- send-push's check then refuses.
begin;
select plan(42);

select ok((select bool_and(relrowsecurity) from pg_class
            where oid in ('public.push_deliveries'::regclass, 'public.push_retired_tokens'::regclass)),
          'RLS is enabled on push_deliveries and push_retired_tokens');
select is_empty($$ select grantee, table_name, privilege_type from information_schema.role_table_grants
                    where table_name in ('push_deliveries', 'push_retired_tokens')
                      and grantee in ('anon', 'authenticated', 'PUBLIC') $$,
                'no client role holds any right on the push tables');
select is_empty($$ select p.oid::regprocedure from pg_proc p
                    where p.pronamespace = 'public'::regnamespace and p.proname ~ 'push'
                      and (has_function_privilege('anon', p.oid, 'execute')
                           or has_function_privilege('authenticated', p.oid, 'execute')) $$,
                'no client role may execute a push function');
select is_empty($$ select s.oid::regclass from pg_class s
                    where s.relkind = 'S' and s.relnamespace = 'public'::regnamespace and s.relname ~ 'push'
                      and (has_sequence_privilege('anon', s.oid, 'usage,select,update')
                           or has_sequence_privilege('authenticated', s.oid, 'usage,select,update')) $$,
                'nor use a push sequence');
select is_empty($$ select p.oid::regprocedure from pg_proc p
                    where p.pronamespace = 'public'::regnamespace
                      and p.proname in ('claim_push_receipts', 'record_push_receipts', 'release_push_receipts',
                                        'expire_push_receipts', 'refuse_retired_push', 'retire_push_token',
                                        'push_delivery_states')
                      and not (p.prosecdef and has_function_privilege('service_role', p.oid, 'execute')
                               and p.proconfig @> array['search_path=""']) $$,
                'every receipt function is security definer with an empty search_path, for the service role');

create temporary table client_statements on commit drop as select array[
  'select * from public.push_retired_tokens', 'select * from public.push_deliveries',
  $q$select * from public.claim_push_receipts('w', 10)$q$,
  $q$select * from public.record_push_receipts('w', '{}')$q$,
  $q$select public.release_push_receipts('w', array[gen_random_uuid()])$q$,
  $q$select public.expire_push_receipts()$q$,
  $q$select public.refuse_retired_push(gen_random_uuid())$q$,
  $q$select public.retire_push_token('ExponentPushToken[x]', 'DeviceNotRegistered')$q$,
  $q$select * from public.push_delivery_states()$q$
  ] as statements;
select is_empty($$ select tests.allowed('anon', statements) from client_statements $$,
                'anon is refused every push table and receipt function');
select is_empty($$ select tests.allowed('authenticated', statements) from client_statements $$,
                'authenticated is refused every push table and receipt function');

-- This transaction's rows only: the stack's own are out of the way until the rollback.
delete from public.push_deliveries;
insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000c1', 'phone@example.com');
insert into public.push_deliveries (id, user_id, token, title, status, provider_ticket_id, settled_at) values
  ('00000000-0000-4000-8000-00000000d001', '00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[ok]', 'A',
   'sent', 'ticket-1', now() - interval '1 hour'),
  ('00000000-0000-4000-8000-00000000d002', '00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[gone]', 'B',
   'sent', 'ticket-2', now() - interval '50 minutes'),
  ('00000000-0000-4000-8000-00000000d003', '00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[late]', 'C',
   'sent', 'ticket-3', now() - interval '40 minutes'),
  ('00000000-0000-4000-8000-00000000d004', '00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[new]', 'D',
   'sent', 'ticket-4', now() - interval '1 minute'),
  ('00000000-0000-4000-8000-00000000d005', '00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[ok]', 'E',
   'failed', null, now() - interval '1 hour');

set local role service_role;
select throws_ok($$ insert into public.push_retired_tokens (token, reason) values ('t', 'r') $$, '42501', null,
                 'even the service role retires tokens only through the functions');
select throws_ok($$ update public.push_deliveries set receipt_status = 'delivered' $$, '42501', null,
                 'and records receipts only through them');

-- An update answers its rows in no particular order, so the answers are sorted here.
select results_eq($$ select provider_ticket_id, receipt_checks from public.claim_push_receipts('w1', 2) order by 1 $$,
                  $$ values ('ticket-1', 1), ('ticket-2', 1) $$,
                  'a claim leases sent rows past the minimum age, oldest first, counting a check');
select results_eq($$ select provider_ticket_id from public.claim_push_receipts('w1', 10) $$,
                  $$ values ('ticket-3') $$, 'and the next claim the one left due');
select is((select receipt_locked_until from public.push_deliveries where provider_ticket_id = 'ticket-1'),
          now() + interval '300 seconds', 'for 300 s by default');
select is_empty($$ select * from public.claim_push_receipts('w2', 10) $$, 'another worker finds nothing while leased');
select ok((select count(*) = 1 from public.claim_push_receipts('w2', 10, 300, now(), 0)),
          'a minimum age of 0 makes the newest due as well');
select is(public.release_push_receipts('w2', array['00000000-0000-4000-8000-00000000d004'::uuid]), 1,
          'its holder releases it');
select is((select receipt_checks from public.push_deliveries where provider_ticket_id = 'ticket-4'), 0,
          'with its check given back');

select results_eq($$ select * from public.record_push_receipts('w2', '{"ticket-1": {"status": "ok"}}') $$,
                  $$ values (0, 0, 0, 0) $$, 'a worker that holds no lease records nothing');
select is((select receipt_status from public.push_deliveries where provider_ticket_id = 'ticket-1'), null,
          'and the row still waits');
select results_eq($$ select * from public.record_push_receipts('w1', '{
                       "ticket-1": {"status": "ok"},
                       "ticket-2": {"status": "error", "message": "not a registered recipient",
                                    "details": {"error": "DeviceNotRegistered"}},
                       "ticket-3": null, "ticket-9": {"status": "ok"}}') $$,
                  $$ values (1, 1, 1, 1) $$, 'the holder records delivered, an error, a retirement and one waiting');
select results_eq($$ select provider_ticket_id, receipt_status, receipt_error, receipt_locked_by
                       from public.push_deliveries where provider_ticket_id in ('ticket-1', 'ticket-2', 'ticket-3')
                      order by provider_ticket_id $$,
                  $$ values ('ticket-1', 'delivered', null, null),
                            ('ticket-2', 'error', 'DeviceNotRegistered: not a registered recipient', null),
                            ('ticket-3', null, null, null) $$,
                  'each row holds its receipt, and no lease');
select results_eq($$ select token, reason from public.push_retired_tokens $$,
                  $$ values ('ExponentPushToken[gone]', 'DeviceNotRegistered') $$, 'the unregistered token is retired');
select is((select status from public.push_deliveries where provider_ticket_id = 'ticket-2'), 'sent',
          'the send''s own status stays sent');

select results_eq($$ select * from public.record_push_receipts('w1', '{"ticket-1": {"status": "error",
                       "message": "m", "details": {"error": "MessageTooBig"}}, "ticket-2": {"status": "ok"}}') $$,
                  $$ values (0, 0, 0, 0) $$, 'the same receipts again record nothing: exactly once');
select is((select receipt_status from public.push_deliveries where provider_ticket_id = 'ticket-1'), 'delivered',
          'the first answer stands');

select is_empty($$ select * from public.claim_push_receipts('w3', 10, 60) $$,
                'a receipt not ready is not asked for again at once');
select results_eq($$ select provider_ticket_id, receipt_checks
                       from public.claim_push_receipts('w3', 10, 60, now() + interval '901 seconds') order by 1 $$,
                  $$ values ('ticket-3', 2), ('ticket-4', 1) $$, 'but at the next check, counting it');
-- w3 dies; its lease runs out and w4 takes over.
select is_empty($$ select * from public.claim_push_receipts('w4', 10, 60, now() + interval '930 seconds') $$,
                'a live lease keeps the rows from other workers');
select results_eq($$ select provider_ticket_id, receipt_checks
                       from public.claim_push_receipts('w4', 10, 60, now() + interval '962 seconds') order by 1 $$,
                  $$ values ('ticket-3', 3), ('ticket-4', 2) $$, 'once it runs out another worker claims them');
select results_eq($$ select * from public.record_push_receipts('w3', '{"ticket-3": {"status": "ok"}}') $$,
                  $$ values (0, 0, 0, 0) $$, 'the dead worker''s late answer records nothing');
select results_eq($$ select * from public.record_push_receipts('w4', '{"ticket-3": {"status": "error", "message": "m",
                       "details": {"error": "MessageRateExceeded"}}, "ticket-4": {"status": "ok"}}') $$,
                  $$ values (1, 1, 0, 0) $$, 'the new holder records them, once');
select is((select receipt_error from public.push_deliveries where provider_ticket_id = 'ticket-3'),
          'MessageRateExceeded: m', 'an error other than DeviceNotRegistered is recorded');
select is((select count(*)::int from public.push_retired_tokens), 1, 'and retires nothing');

-- Giving up.
reset role;
insert into public.push_deliveries (user_id, token, title, status, provider_ticket_id, settled_at, receipt_checks) values
  ('00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[old]', 'F', 'sent', 'ticket-5', now() - interval '25 hours', 0),
  ('00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[tried]', 'G', 'sent', 'ticket-6', now() - interval '3 hours', 36),
  ('00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[young]', 'H', 'sent', 'ticket-7', now() - interval '3 hours', 35);
set local role service_role;
select is(public.expire_push_receipts(), 2, 'receipts older than a day, or checked 36 times, are given up');
select results_eq($$ select provider_ticket_id, receipt_status, receipt_error from public.push_deliveries
                      where provider_ticket_id in ('ticket-5', 'ticket-6', 'ticket-7') order by provider_ticket_id $$,
                  $$ values ('ticket-5', 'expired', 'no receipt after 0 checks'),
                            ('ticket-6', 'expired', 'no receipt after 36 checks'), ('ticket-7', null, null) $$,
                  'as expired, saying how many checks were made');

-- send-push's check.
create temporary table begun on commit drop as
  select public.begin_push_delivery('00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[gone]', 'I') as gone,
         public.begin_push_delivery('00000000-0000-4000-8000-0000000000c1', 'ExponentPushToken[ok]', 'J') as fine;
select ok((select public.refuse_retired_push(gone) from begun), 'a push to a retired token is refused');
select matches((select d.status || ' ' || d.error from public.push_deliveries d, begun where d.id = begun.gone),
               '^failed DeviceNotRegistered: token retired at .* \(DeviceNotRegistered\)$', 'and recorded failed with the reason');
select ok((select not public.refuse_retired_push(fine) from begun), 'a push to a live token is not');
select is((select d.status from public.push_deliveries d, begun where d.id = begun.fine), 'pending', 'and stays pending');
select lives_ok($$ select public.retire_push_token('ExponentPushToken[gone]', 'DeviceNotRegistered');
                   select public.retire_push_token('ExponentPushToken[ticket]', 'DeviceNotRegistered') $$,
                'retiring at send time is idempotent');
select is((select count(*)::int from public.push_retired_tokens), 2, 'one row per token');

select results_eq($$ select state, count, oldest is not null from public.push_delivery_states(now()) $$,
                  $$ values ('pending', 1::bigint, true), ('rate_limited', 0::bigint, false), ('failed', 2::bigint, true),
                            ('awaiting_receipt', 1::bigint, true), ('delivered', 2::bigint, true),
                            ('receipt_error', 2::bigint, true), ('receipt_expired', 2::bigint, true) $$,
                  'push_delivery_states counts every state, in order');
select is((select count(*) from public.push_delivery_states(now() + interval '1 second') where count > 0), 0::bigint,
          'from a time after every row, none');

select * from finish();
rollback;
