-- The e-mail queue: only the service role reaches its tables and functions (RLS on, no
-- client rights), and its transitions keep their promises: one row per idempotency key, a
-- reused key refused, leases that only their holder settles, dead letters replayed.
begin;
select plan(34);

select ok((select bool_and(relrowsecurity) from pg_class
            where oid in ('public.email_queue'::regclass, 'public.email_sends'::regclass,
                          'public.email_settings'::regclass)), 'RLS is enabled on the queue''s three tables');
select is_empty($$ select grantee, table_name, privilege_type from information_schema.role_table_grants
                    where table_name in ('email_queue', 'email_sends', 'email_settings')
                      and grantee in ('anon', 'authenticated', 'PUBLIC') $$,
                'no client role holds any right on the queue''s tables');
select is_empty($$ select p.oid::regprocedure from pg_proc p
                    where p.pronamespace = 'public'::regnamespace
                      and (p.proname like '%email%' or p.proname like 'claim_email%')
                      and (has_function_privilege('anon', p.oid, 'execute')
                           or has_function_privilege('authenticated', p.oid, 'execute')) $$,
                'no client role may execute an e-mail function');

-- Each client role, refused at every door.
create temporary table client_statements on commit drop as select array[
  'select * from public.email_queue', 'select * from public.email_sends', 'select * from public.email_settings',
  'update public.email_settings set global_per_minute = 1000000',
  $q$insert into public.email_queue (to_email, subject, html, request_hash) values ('a@example.com', 's', 'h', '\x00')$q$,
  $q$select * from public.enqueue_email('a@example.com', 's', '<p>h</p>')$q$,
  $q$select * from public.claim_email_batch('w', 10)$q$,
  $q$select public.complete_email_send(gen_random_uuid(), 'w', array['id'])$q$,
  $q$select public.fail_email_send(gen_random_uuid(), 'w', 'retry', false, now(), 'x')$q$,
  $q$select public.replay_email_dead_letters(null, now() - interval '1 day')$q$,
  $q$select public.release_email_send(gen_random_uuid(), 'w')$q$,
  $q$select public.email_queue_health()$q$
  ] as statements;
select is_empty($$ select tests.allowed('anon', statements) from client_statements $$, 'anon is refused every table and function of the queue');
select is_empty($$ select tests.allowed('authenticated', statements) from client_statements $$,
                'authenticated is refused every table and function of the queue');

set local role service_role;
select throws_ok($$ update public.email_queue set status = 'sent' $$, '42501', null,
                 'even the service role changes rows only through the queue''s functions');
select throws_ok($$ delete from public.email_sends $$, '42501', null, 'and cannot delete a send''s record');
select throws_ok($$ select public.invoke_edge_function('process-email-queue') $$, '42501', null,
                 'only pg_cron''s owner calls functions over pg_net');
insert into public.email_settings (queue, batch_size) values ('pgtap', 2);

create temporary table first_row on commit drop as
  select * from public.enqueue_email('fan@example.com', 'Hi', '<p>one</p>', null, '[]', null, 'key-006', 5, 'pgtap');
select is((select status from first_row), 'pending', 'an e-mail is enqueued pending');
select results_eq($$ select id, created from public.enqueue_email('fan@example.com', 'Hi', '<p>one</p>', null, '[]',
                                                                   null, 'key-006', 5, 'pgtap') $$,
                  $$ select id, false from first_row $$, 'the same key answers the first row');
select throws_ok($$ select * from public.enqueue_email('fan@example.com', 'Hi', '<p>other</p>', null, '[]', null,
                                                       'key-006', 5, 'pgtap') $$,
                 'UR003', null, 'the same key with another e-mail is refused');
select is((select count(*)::int from public.email_queue where queue = 'pgtap'), 1, 'one row for the key');
select throws_ok($$ select * from public.enqueue_email('not an address', 'Hi', '<p>x</p>', null, '[]', null, null,
                                                       5, 'pgtap') $$,
                 '23514', null, 'the table itself refuses what is no address');
select throws_ok($$ select * from public.enqueue_email('fan@example.com', 'Hi', '<p>x</p>', null, '[]', null, null,
                                                       5, 'nope') $$,
                 '23503', null, 'an unknown queue is refused');

select * from public.enqueue_email('b@example.com', 'Hi', '<p>two</p>', null, '[]', null, null, 5, 'pgtap');
select * from public.enqueue_email('c@example.com', 'Hi', '<p>three</p>', null, '[]', null, null, 5, 'pgtap');
create temporary table claimed on commit drop as select * from public.claim_email_batch('w1', 10, 'pgtap');
select is((select count(*)::int from claimed), 3, 'a claim takes every due row');
select is((select count(distinct send_id)::int from claimed), 2, 'batched two to a send, as the queue''s batch_size says');
select is((select array_agg(endpoint order by endpoint) from (select distinct send_id, endpoint from claimed) s),
          array['batch', 'email'], 'a send of two goes to the batch endpoint, one alone to /emails');
select ok((select bool_and(send_key = 'usher-send/' || send_id) from claimed), 'each send''s key names it');
select is((select count(*)::int from public.claim_email_batch('w2', 10, 'pgtap')), 0,
          'leased rows are no one else''s to claim');

create temporary table batch on commit drop as
  select send_id from claimed where endpoint = 'batch' limit 1;
select is(public.complete_email_send((select send_id from batch), 'w2', array['m1', 'm2']), 0,
          'a worker without the lease cannot complete');
select is(public.fail_email_send((select send_id from batch), 'w2', 'retry', false, now(), 'x'), 0,
          'nor fail');
select is(public.complete_email_send((select send_id from batch), 'w1', array['m1', 'm2']), 2,
          'the lease holder completes the send');
select is((select array_agg(provider_message_id order by send_position) from public.email_queue
            where send_id = (select send_id from batch)), array['m1', 'm2'],
          'each row gets its message id by position');

create temporary table alone on commit drop as select send_id, id from claimed where endpoint = 'email';
select is(public.fail_email_send((select send_id from alone), 'w1', 'dead_letter', false, null, '422 validation_error'),
          1, 'a send given up becomes a dead letter');
select is((select status || '/' || error from public.email_queue where id = (select id from alone)),
          'dead_letter/422 validation_error', 'with the reason, not the provider''s answer');
select is((select count(*)::int from public.email_sends where id = (select send_id from alone)), 0,
          'a refused send is dissolved: its key is not needed again');
select results_eq($$ select public.replay_email_dead_letters(array[(select id from alone)]) $$,
                  $$ select id from alone $$, 'a dead letter is replayed by id');
select is((select status || '/' || attempts from public.email_queue where id = (select id from alone)), 'pending/0',
          'and is pending again with its tries renewed');
select throws_ok($$ select public.replay_email_dead_letters() $$, 'UR007', null, 'a replay names what to replay');
select throws_ok($$ select public.fail_email_send(gen_random_uuid(), 'w', 'later', false, now(), 'x') $$, 'UR007',
                 null, 'an unknown outcome is refused');

select is((public.email_queue_health('pgtap') ->> 'sent')::int, 2, 'health counts the sent');
select is((public.email_queue_health('pgtap') ->> 'pending')::int, 1, 'and the pending');
select ok(public.email_send_slot('pgtap') = 0, 'the provider''s first request may go at once');
select cmp_ok(public.email_next_due('pgtap'), '<=', now(), 'the replayed row is due now');

select * from finish();
rollback;
