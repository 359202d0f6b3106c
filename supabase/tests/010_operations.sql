-- Operations: the admin list and every ops function are out of the client roles' reach,
-- checked over the catalog; each function's numbers on rows made here are exact. Counts over
-- tables the whole stack writes to (the webhook queue, the provider windows) are compared
-- with what the function answered before this file's rows, so other traffic cannot move them.
begin;
select plan(21);

select ok((select relrowsecurity from pg_class where oid = 'public.platform_admins'::regclass),
          'RLS is enabled on platform_admins');
select is_empty($$ select grantee, privilege_type from information_schema.role_table_grants
                    where table_name = 'platform_admins' and grantee in ('anon', 'authenticated', 'PUBLIC') $$,
                'no client role holds any right on platform_admins');
select is_empty($$ select p.oid::regprocedure from pg_proc p
                    where p.pronamespace = 'public'::regnamespace
                      and (p.proname like 'ops\_%' or p.proname = 'is_platform_admin')
                      and (has_function_privilege('anon', p.oid, 'execute')
                           or has_function_privilege('authenticated', p.oid, 'execute')
                           or p.proacl is null) $$,
                'no client role may execute an ops function (and none runs on default rights)');
select is(array(select p.proname::text from pg_proc p
                 where p.pronamespace = 'public'::regnamespace
                   and (p.proname like 'ops\_%' or p.proname = 'is_platform_admin')
                   and p.prosecdef and p.provolatile = 's' and p.proconfig = array['search_path=""']
                   and has_function_privilege('service_role', p.oid, 'execute')
                 order by 1),
          array['is_platform_admin', 'ops_door_scans', 'ops_email_dead_letters', 'ops_email_queue',
                'ops_provider_rates', 'ops_refresh_runs', 'ops_refresh_views', 'ops_webhook_dead_letters',
                'ops_webhook_queue'],
          'every ops function is a stable security definer with an empty search_path, for the service role');

create temporary table client_statements on commit drop as select array[
  'select * from public.platform_admins', 'insert into public.platform_admins (user_id) values (gen_random_uuid())',
  $q$select public.is_platform_admin(gen_random_uuid())$q$,
  'select * from public.ops_email_queue()', 'select * from public.ops_email_dead_letters(10)',
  'select * from public.ops_webhook_queue()', 'select * from public.ops_webhook_dead_letters(10)',
  'select * from public.ops_provider_rates()', 'select * from public.ops_refresh_runs(10)',
  'select * from public.ops_refresh_views()', 'select * from public.ops_door_scans()'
  ] as statements;
select is_empty($$ select tests.allowed('anon', statements) from client_statements $$,
                'anon is refused platform_admins and every ops function');
select is_empty($$ select tests.allowed('authenticated', statements) from client_statements $$,
                'authenticated is refused platform_admins and every ops function');

-- Admins.
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000006a1', 'ops-admin@pgtap.example'),
  ('00000000-0000-4000-8000-0000000006a2', 'ops-nobody@pgtap.example');
insert into public.platform_admins (user_id) values ('00000000-0000-4000-8000-0000000006a1');
select is(array[public.is_platform_admin('00000000-0000-4000-8000-0000000006a1'),
                public.is_platform_admin('00000000-0000-4000-8000-0000000006a2'), public.is_platform_admin(null)],
          array[true, false, false], 'is_platform_admin answers for the listed user only');

-- What the windowed and global functions answered before this file's rows.
create temporary table rates_before on commit drop as select * from public.ops_provider_rates('24 hours');
create temporary table rates_short_before on commit drop as select * from public.ops_provider_rates('30 minutes');
create temporary table webhooks_before on commit drop as select * from public.ops_webhook_queue();

-- An e-mail queue of this file's own: two waiting (one due 10 minutes ago, one in 5
-- minutes), one failed and leased, two dead letters, one sent.
insert into public.email_settings (queue) values ('pgtap-ops');
insert into public.email_queue (id, queue, request_hash, to_email, subject, html, status, next_retry_at, locked_by,
                                locked_until, attempts, error, provider_message_id, sent_at, updated_at) values
  ('00000000-0000-4000-8000-0000000006e1', 'pgtap-ops', '\x00', 'p1@example.com', 'Due', '<p/>', 'pending',
   now() - interval '10 minutes', null, null, 0, null, null, null, now()),
  ('00000000-0000-4000-8000-0000000006e2', 'pgtap-ops', '\x00', 'p2@example.com', 'Later', '<p/>', 'pending',
   now() + interval '5 minutes', null, null, 0, null, null, null, now()),
  ('00000000-0000-4000-8000-0000000006e3', 'pgtap-ops', '\x00', 'f@example.com', 'Leased', '<p/>', 'failed',
   now() - interval '1 minute', 'w', now() + interval '1 minute', 2, '503 server_error', null, null, now()),
  ('00000000-0000-4000-8000-0000000006e4', 'pgtap-ops', '\x00', 'alice@bounce.example', 'Dead one', '<p/>',
   'dead_letter', now(), null, null, 6, '422 validation_error', null, null, now() - interval '1 minute'),
  ('00000000-0000-4000-8000-0000000006e5', 'pgtap-ops', '\x00', 'bob@bounce.example', repeat('s', 300), '<p/>',
   'dead_letter', now(), null, null, 6, '500 internal', null, null, now() - interval '2 minutes'),
  ('00000000-0000-4000-8000-0000000006e6', 'pgtap-ops', '\x00', 'sent@example.com', 'Sent', '<p/>', 'sent',
   now(), null, null, 1, null, 'msg_pgtap_ops_1', now(), now());

select results_eq(
  $$ select pending, failed, in_flight, dead_letters, oldest_due_at, oldest_due_seconds, next_due_at
       from public.ops_email_queue() where queue = 'pgtap-ops' $$,
  $$ values (2, 1, 1, 2, now() - interval '10 minutes', 600, now() + interval '5 minutes') $$,
  'ops_email_queue: depth by status, leased rows, dead letters and how late the oldest due row is');
select results_eq(
  $$ select pending, failed, in_flight, dead_letters, oldest_due_at, oldest_due_seconds
       from public.ops_email_queue() where queue = 'default' $$,
  $$ select count(*) filter (where status = 'pending')::integer, count(*) filter (where status = 'failed')::integer,
            count(*) filter (where status in ('pending', 'failed') and locked_until > now())::integer,
            count(*) filter (where status = 'dead_letter')::integer,
            min(next_retry_at) filter (where status in ('pending', 'failed') and next_retry_at <= now()),
            (public.email_queue_health('default') ->> 'oldest_due_seconds')::integer
       from public.email_queue where queue = 'default' $$,
  'ops_email_queue agrees with the default queue''s rows and email_queue_health');
select results_eq(
  $$ select id, to_masked, subject, error, attempts, updated_at from public.ops_email_dead_letters(500)
      where queue = 'pgtap-ops' $$,
  $$ values ('00000000-0000-4000-8000-0000000006e4'::uuid, 'a***@bounce.example', 'Dead one', '422 validation_error',
             6, now() - interval '1 minute'),
            ('00000000-0000-4000-8000-0000000006e5'::uuid, 'b***@bounce.example', repeat('s', 200), '500 internal', 6,
             now() - interval '2 minutes') $$,
  'ops_email_dead_letters: newest first, the address masked, the subject cut to 200 characters');
select is((select count(*)::integer from public.ops_email_dead_letters(1)), 1, 'the dead-letter list keeps to its limit');

-- Webhook retries: stripe pending (due 3 minutes ago), processing (lease ran out), a
-- resend one due later, and dead letters.
insert into public.webhook_retry_queue (webhook_type, event_id, payload, attempts, next_retry_at, status, locked_by,
                                        locked_until, last_error, updated_at) values
  ('stripe', 'evt_pgtap_ops_p', '{"type": "charge.refunded"}', 2, now() - interval '3 minutes', 'pending', null, null,
   'UR008', now()),
  ('stripe', 'evt_pgtap_ops_l', '{"type": "charge.refunded"}', 3, now() - interval '2 minutes', 'processing', 'w',
   now() - interval '1 second', 'UR008', now()),
  ('resend', 'msg_pgtap_ops_r', '{"type": "email.delivered"}', 2, now() + interval '1 hour', 'pending', null, null,
   '40001', now()),
  ('stripe', 'evt_pgtap_ops_d', '{"type": "checkout.session.completed"}', 6, now(), 'dead_letter', null, null,
   'UR009', now() - interval '30 seconds'),
  ('resend', 'msg_pgtap_ops_d', '{"type": "email.bounced"}', 6, now(), 'dead_letter', null, null, '23505',
   now() - interval '2 days');

select results_eq(
  $$ select a.webhook_type, a.pending - b.pending, a.processing - b.processing, a.dead_letters - b.dead_letters
       from public.ops_webhook_queue() a join webhooks_before b using (webhook_type) order by 1 $$,
  $$ values ('resend', 1, 0, 1), ('stripe', 1, 1, 1) $$,
  'ops_webhook_queue counts each provider''s waiting, leased and dead rows');
select ok((select oldest_due_at <= now() - interval '3 minutes' and oldest_due_seconds >= 180
             from public.ops_webhook_queue() where webhook_type = 'stripe'),
          'and the oldest due row is at least as late as this file''s');
select results_eq(
  $$ select webhook_type, event_id, event_type, attempts, replays, last_error, updated_at
       from public.ops_webhook_dead_letters(500) where event_id like '%pgtap_ops%' $$,
  $$ values ('stripe', 'evt_pgtap_ops_d', 'checkout.session.completed', 6, 0, 'UR009', now() - interval '30 seconds'),
            ('resend', 'msg_pgtap_ops_d', 'email.bounced', 6, 0, '23505', now() - interval '2 days') $$,
  'ops_webhook_dead_letters: newest first, with the event''s type');

-- The providers' windows: Resend's deliveries, Stripe's applied events, pushes.
insert into public.email_delivery_events (svix_id, message_id, type, occurred_at, received_at) values
  ('msg_pgtap_ops_e1', 'msg_pgtap_ops_1', 'delivered', now(), now()),
  ('msg_pgtap_ops_e2', 'msg_pgtap_ops_1', 'bounced', now(), now()),
  ('msg_pgtap_ops_e3', 'msg_pgtap_ops_1', 'delivered', now() - interval '3 days', now() - interval '3 days');
insert into public.webhook_events (provider, event_id, type, outcome, applied_at) values
  ('stripe', 'evt_pgtap_ops_1', 'checkout.session.completed', 'paid', now()),
  ('stripe', 'evt_pgtap_ops_2', 'checkout.session.completed', 'paid', now() - interval '1 hour'),
  ('stripe', 'evt_pgtap_ops_3', 'charge.refunded', 'refunded', now()),
  ('stripe', 'evt_pgtap_ops_4', 'charge.refunded', 'refunded', now() - interval '2 days'),
  ('resend', 'msg_pgtap_ops_x', 'email.delivered', 'recorded', now());
insert into public.push_deliveries (user_id, token, title, status, provider_ticket_id, receipt_status, created_at) values
  ('00000000-0000-4000-8000-0000000006a2', 'tok', 't', 'sent', 'tk1', 'delivered', now()),
  ('00000000-0000-4000-8000-0000000006a2', 'tok', 't', 'sent', 'tk2', 'error', now()),
  ('00000000-0000-4000-8000-0000000006a2', 'tok', 't', 'failed', null, null, now()),
  ('00000000-0000-4000-8000-0000000006a2', 'tok', 't', 'rate_limited', null, null, now()),
  ('00000000-0000-4000-8000-0000000006a2', 'tok', 't', 'sent', 'tk3', 'delivered', now() - interval '2 days');

select results_eq(
  $$ select a.provider, a.metric, a.count - coalesce(b.count, 0)
       from public.ops_provider_rates('24 hours') a left join rates_before b using (provider, metric)
      where a.count <> coalesce(b.count, 0) order by 1, 2 $$,
  $$ values ('push', 'delivered', 1), ('push', 'failed', 1), ('push', 'rate_limited', 1), ('push', 'receipt_error', 1),
            ('push', 'sent', 2),
            ('resend', 'bounced', 1), ('resend', 'delivered', 1), ('resend', 'failed', 2), ('resend', 'sent', 1),
            ('stripe', 'dead_letters', 1), ('stripe', 'paid', 2), ('stripe', 'refunded', 1), ('stripe', 'retrying', 2) $$,
  'ops_provider_rates counts each provider''s outcomes in the window, and nothing older');
select is(array(select r.provider || '.' || r.metric from public.ops_provider_rates('24 hours') r
                 where r.provider in ('resend', 'push') order by 1),
          array['push.delivered', 'push.failed', 'push.pending', 'push.rate_limited', 'push.receipt_error',
                'push.receipt_expired', 'push.sent', 'resend.bounced', 'resend.complained', 'resend.delivered',
                'resend.failed', 'resend.sent'],
          'Resend and push always answer their fixed metrics, zeros included');
select results_eq(
  $$ select a.metric, a.count - coalesce(b.count, 0)
       from public.ops_provider_rates('30 minutes') a left join rates_short_before b using (provider, metric)
      where a.provider = 'stripe' and a.metric in ('paid', 'refunded') order by 1 $$,
  $$ values ('paid', 1), ('refunded', 1) $$,
  'a shorter window leaves out the event of an hour ago');

-- Analytics refreshes: a good run of scans_hourly, then a failed one after it.
insert into public.analytics_refresh_runs (view_name, started_at, finished_at, rows, error) values
  ('scans_hourly', now() + interval '30 seconds', now() + interval '30.25 seconds', 42, null),
  ('scans_hourly', now() + interval '60 seconds', now() + interval '61.5 seconds', null, 'canceling statement due to lock timeout');
select results_eq(
  $$ select view_name, started_at, duration_ms, rows, error from public.ops_refresh_runs(2) $$,
  $$ values ('scans_hourly', now() + interval '60 seconds', 1500, null::bigint, 'canceling statement due to lock timeout'),
            ('scans_hourly', now() + interval '30 seconds', 250, 42::bigint, null) $$,
  'ops_refresh_runs: newest first, with duration, rows or error');
select results_eq(
  $$ select data_as_of, age_seconds, stale, last_error from public.ops_refresh_views() where view_name = 'scans_hourly' $$,
  $$ values (now() + interval '30 seconds', -30, true, 'canceling statement due to lock timeout') $$,
  'ops_refresh_views: a view whose last refresh failed is stale, its figures as of its last good one');
select is((select array_agg(view_name order by view_name) from public.ops_refresh_views()),
          (select array_agg(v order by v) from unnest(public.analytics_views()) v),
          'ops_refresh_views answers every analytics view');

-- Scans at two doors of an event of this file's own; one two hours ago is out of the window.
insert into public.events (id, name, starts_at) values ('00000000-0000-4000-8000-0000000006ee', 'Ops gig', now());
insert into public.ticket_scans (event_id, device_id, scanner_id, result, code_kind, scanned_at) values
  ('00000000-0000-4000-8000-0000000006ee', 'north', '00000000-0000-4000-8000-0000000006a2', 'redeemed', 'print',
   now() - interval '5 minutes'),
  ('00000000-0000-4000-8000-0000000006ee', 'north', '00000000-0000-4000-8000-0000000006a2', 'redeemed', 'live',
   now() - interval '1 minute'),
  ('00000000-0000-4000-8000-0000000006ee', 'north', '00000000-0000-4000-8000-0000000006a2', 'rescan', 'live',
   now() - interval '50 minutes'),
  ('00000000-0000-4000-8000-0000000006ee', 'south', '00000000-0000-4000-8000-0000000006a2', 'invalid_signature',
   'unknown', now() - interval '2 minutes'),
  ('00000000-0000-4000-8000-0000000006ee', 'south', '00000000-0000-4000-8000-0000000006a2', 'redeemed', 'print',
   now() - interval '2 hours');
select results_eq(
  $$ select event_name, door, result, scans, last_scan_at from public.ops_door_scans()
      where event_id = '00000000-0000-4000-8000-0000000006ee' $$,
  $$ values ('Ops gig', 'north', 'redeemed', 2, now() - interval '1 minute'),
            ('Ops gig', 'north', 'rescan', 1, now() - interval '50 minutes'),
            ('Ops gig', 'south', 'invalid_signature', 1, now() - interval '2 minutes') $$,
  'ops_door_scans: outcomes per door in the last hour');

select * from finish();
rollback;
