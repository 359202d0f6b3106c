-- Analytics: the materialized views and the refresh log are out of every client role's
-- reach; the widget functions answer an event's organizer and analysts and no one else
-- (two organizers, each with an analyst); the range is capped; a failed or old refresh
-- shows as stale.
begin;
select plan(24);

select ok(not has_schema_privilege('anon', 'analytics', 'usage') and not has_schema_privilege('authenticated', 'analytics', 'usage')
          and not has_schema_privilege('service_role', 'analytics', 'usage'),
          'no API role may use the analytics schema');
select is_empty($$ select c.relname, r.rolname from pg_class c cross join pg_roles r
                    where c.relnamespace = 'analytics'::regnamespace and r.rolname in ('anon', 'authenticated', 'service_role')
                      and has_table_privilege(r.rolname, c.oid, 'select,insert,update,delete,truncate,references,trigger') $$,
                'no API role holds any right on a relation of the analytics schema');
select is(array(select c.relname::text from pg_class c where c.relnamespace = 'analytics'::regnamespace and c.relkind = 'm'
                order by 1), array['email_hourly', 'event_tickets', 'sales_hourly', 'scans_hourly'],
          'the figures live in four materialized views');
select ok((select relrowsecurity from pg_class where oid = 'public.analytics_refresh_runs'::regclass),
          'RLS is enabled on the refresh log');
select is_empty($$ select grantee, privilege_type from information_schema.role_table_grants
                    where table_name = 'analytics_refresh_runs' and grantee in ('anon', 'authenticated', 'PUBLIC') $$,
                'no client role holds any right on the refresh log');
select is_empty($$ select s.relname from pg_class s
                    where s.relkind = 'S' and s.relname like 'analytics%'
                      and (has_sequence_privilege('anon', s.oid, 'usage,select,update')
                           or has_sequence_privilege('authenticated', s.oid, 'usage,select,update')) $$,
                'nor touch its sequence');
select is_empty($$ select p.oid::regprocedure from pg_proc p
                    where p.pronamespace = 'public'::regnamespace and p.proname ~ 'analytics'
                      and (has_function_privilege('anon', p.oid, 'execute')
                           or has_function_privilege('authenticated', p.oid, 'execute')) $$,
                'no client role may execute an analytics function');
select ok(not has_function_privilege('service_role', 'public.refresh_analytics(text, boolean)', 'execute'),
          'refreshing stays with pg_cron and the owner');

create temporary table client_statements on commit drop as select array[
  'select * from analytics.sales_hourly', 'select * from analytics.scans_hourly',
  'select * from public.analytics_refresh_runs',
  $q$select public.analytics_sales(gen_random_uuid(), gen_random_uuid(), now() - interval '1 day', now())$q$,
  'select public.refresh_analytics()'
  ] as statements;
select is_empty($$ select tests.allowed('anon', statements) from client_statements $$, 'anon is refused the views and functions');
select is_empty($$ select tests.allowed('authenticated', statements) from client_statements $$, 'authenticated too');

-- Two organizers, each with an event, an analyst and sales; a scanner of the first event.
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000000c1', 'org-one@example.com'), ('00000000-0000-4000-8000-0000000000c2', 'org-two@example.com'),
  ('00000000-0000-4000-8000-0000000000c3', 'analyst-one@example.com'), ('00000000-0000-4000-8000-0000000000c4', 'analyst-two@example.com'),
  ('00000000-0000-4000-8000-0000000000c5', 'scanner-one@example.com'), ('00000000-0000-4000-8000-0000000000c6', 'buyer@example.com');
insert into public.events (id, name, starts_at, organizer_id, capacity) values
  ('00000000-0000-4000-8000-0000000000d1', 'One', now() + interval '1 day', '00000000-0000-4000-8000-0000000000c1', 50),
  ('00000000-0000-4000-8000-0000000000d2', 'Two', now() + interval '1 day', '00000000-0000-4000-8000-0000000000c2', 80);
insert into public.event_staff (event_id, user_id, role) values
  ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-0000000000c3', 'analyst'),
  ('00000000-0000-4000-8000-0000000000d2', '00000000-0000-4000-8000-0000000000c4', 'analyst'),
  ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-0000000000c5', 'scanner');
insert into public.orders (id, user_id, event_id, status, amount_cents, paid_at) values
  ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c6', '00000000-0000-4000-8000-0000000000d1', 'paid', 3000, now() - interval '2 hours'),
  ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000c6', '00000000-0000-4000-8000-0000000000d2', 'paid', 9000, now() - interval '2 hours');
insert into public.tickets (order_id, event_id, user_id)
  select '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-0000000000c6' from generate_series(1, 3);
insert into public.tickets (order_id, event_id, user_id)
  select '00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000d2', '00000000-0000-4000-8000-0000000000c6' from generate_series(1, 9);
-- A ticket e-mail delivered then opened, and an e-mail whose ticket tag is no UUID.
insert into public.email_queue (to_email, subject, html, request_hash, tags, status, provider_message_id)
select 'buyer@example.com', 'Your ticket', '<p>t</p>', '\x00',
       jsonb_build_array(jsonb_build_object('name', 'kind', 'value', 'ticket'), jsonb_build_object('name', 'ticket_id', 'value', t.id)),
       'sent', 'msg-pgtap-opened'
  from public.tickets t where t.order_id = '00000000-0000-4000-8000-0000000000a1' limit 1;
insert into public.email_delivery_events (svix_id, message_id, type, occurred_at) values
  ('msg_pgtap_1', 'msg-pgtap-opened', 'delivered', now() - interval '2 minutes'),
  ('msg_pgtap_2', 'msg-pgtap-opened', 'opened', now() - interval '1 minute');
insert into public.email_queue (to_email, subject, html, request_hash, tags)
values ('buyer@example.com', 'Odd', '<p>t</p>', '\x00',
        '[{"name": "kind", "value": "ticket"}, {"name": "ticket_id", "value": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaa-"}]');
select is(public.refresh_analytics(p_wait => true), 0, 'a refresh of every view succeeds, an e-mail with a malformed tag included');
select is(public.analytics_email('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d1',
                                 now() - interval '1 day', now() + interval '1 hour') #> '{data}' -> 'delivered',
          '1'::jsonb, 'an e-mail opened after its delivery counts as delivered');

create function pg_temp.sold(p_user text, p_event text) returns bigint language sql as $$
  select (public.analytics_capacity(p_user::uuid, p_event::uuid, now() - interval '1 day', now()) #>> '{data,sold}')::bigint
$$;
select is(pg_temp.sold('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d1'), 3::bigint,
          'the first organizer sees their own event');
select is(pg_temp.sold('00000000-0000-4000-8000-0000000000c3', '00000000-0000-4000-8000-0000000000d1'), 3::bigint,
          'so does its analyst');
select is(pg_temp.sold('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-8000-0000000000d2'), 9::bigint,
          'the second organizer sees theirs');
select throws_ok($$ select pg_temp.sold('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d2') $$,
                 'UR010', null, 'the first organizer is refused the second''s event');
select throws_ok($$ select pg_temp.sold('00000000-0000-4000-8000-0000000000c4', '00000000-0000-4000-8000-0000000000d1') $$,
                 'UR010', null, 'the second''s analyst is refused the first event');
select throws_ok($$ select pg_temp.sold('00000000-0000-4000-8000-0000000000c5', '00000000-0000-4000-8000-0000000000d1') $$,
                 'UR010', null, 'a scanner of the event is not an analyst');
select throws_ok($$ select public.analytics_sales('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d1',
                                                  '2026-01-01', '2026-04-03 00:00:01+00') $$,
                 'UR011', null, 'a range a second over 92 days is refused');
select lives_ok($$ select public.analytics_sales('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d1',
                                                 '2026-01-01', '2026-04-03 00:00:00+00') $$, 'exactly 92 days is answered');
select throws_ok($$ select public.analytics_sales('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d1',
                                                  now(), now()) $$, 'UR012', null, 'an empty range is refused');

-- Staleness: a failed refresh after the last good one, and a last good one older than 10 minutes.
insert into public.analytics_refresh_runs (view_name, started_at, finished_at, error)
  values ('sales_hourly', now() + interval '1 second', now() + interval '2 seconds', 'canceling statement due to lock timeout');
select is((public.analytics_sales('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000d1',
                                   now() - interval '1 day', now()) -> 'stale'), 'true'::jsonb,
          'a failed refresh makes its view''s figures stale');
delete from public.analytics_refresh_runs where view_name = 'event_tickets';
insert into public.analytics_refresh_runs (view_name, started_at, finished_at, rows)
  values ('event_tickets', now() - interval '11 minutes', now() - interval '11 minutes', 2);
select is((select (stale, last_error) from public.analytics_view_freshness('event_tickets')), (true, null::text),
          'figures older than two refresh intervals are stale');
select is((select (f.stale, f.last_error) from public.analytics_freshness() f),
          (true, 'canceling statement due to lock timeout'::text), 'the overall freshness says so, with the error');

select * from finish();
rollback;
