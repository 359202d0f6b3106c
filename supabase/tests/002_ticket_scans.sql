-- Ticket codes, redemption and the scan log, seen by each API role: only the service role
-- (the edge functions) may scan, issue or re-issue, and nobody reads another's codes.
begin;
select plan(19);

select has_column('public', 'tickets', 'qr_code_signed', 'tickets carry a signed code');
select has_column('public', 'events', 'require_live_codes', 'events can require live codes');
select has_column('public', 'events', 'allow_legacy_codes', 'events can refuse legacy codes');
select ok((select relrowsecurity from pg_class where oid = 'public.ticket_scans'::regclass), 'RLS is on for the scan log');

set local role anon;
select tests.as_claims('{"role":"anon"}');
select throws_ok($$ select * from public.ticket_scans $$, '42501', null, 'anon cannot read the scan log');
select throws_ok($$ select public.scan_ticket('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003',
                                              'd', 'ok', 'legacy', null, 'GRACE001') $$,
                 '42501', null, 'anon cannot call the redemption function');
select throws_ok($$ select * from public.scan_tickets('[]') $$, '42501', null, 'anon cannot call the batch redemption function');

set local role authenticated;
select tests.as_user('00000000-0000-4000-8000-000000000003');
select throws_ok($$ select * from public.ticket_scans $$, '42501', null, 'even scanner staff cannot read the raw scan log');
select throws_ok($$ select public.scan_ticket('10000000-0000-4000-8000-000000000001', auth.uid(),
                                              'd', 'ok', 'legacy', null, 'GRACE001') $$,
                 '42501', null, 'scanner staff cannot call the redemption function directly');
select throws_ok($$ select * from public.scan_tickets('[]') $$, '42501', null,
                 'scanner staff cannot call the batch redemption function directly');
select throws_ok($$ select public.set_ticket_print_code('30000000-0000-4000-8000-000000000001', 'v1.p.x', true) $$,
                 '42501', null, 'a user cannot re-issue a code');
select throws_ok($$ select public.owned_ticket('30000000-0000-4000-8000-000000000001', auth.uid()) $$,
                 '42501', null, 'a user cannot call the display-key lookup directly');
select tests.as_user('00000000-0000-4000-8000-000000000001');
select throws_ok($$ update public.tickets set redeemed_at = null where user_id = auth.uid() $$,
                 '42501', null, 'a holder cannot un-redeem their ticket');
select is_empty($$ select qr_code_signed from public.tickets where user_id <> auth.uid() $$,
                'a user sees no one else''s signed codes');

-- The service role scans; a caller who is not scanner staff is refused with UR403.
reset role;
set local role service_role;
select throws_ok($$ select public.scan_ticket('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001',
                                              'd', 'ok', 'legacy', null, 'GRACE001') $$,
                 'UR403', null, 'scan_ticket refuses a caller who is not scanner staff');
select is((public.scan_ticket('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003',
                              'd', 'malformed', 'unknown') ->> 'result'),
          'malformed', 'the service role can scan, and a refused code is logged as such');
select is((select count(*)::int from public.ticket_scans
            where device_id = 'd' and result = 'malformed' and code_kind = 'unknown' and scanned_at >= now()),
          1, 'the refused scan is in the log once');
select is((select array_agg(scan ->> 'result' order by idx) from public.scan_tickets($$[
             {"event_id": "10000000-0000-4000-8000-000000000001", "scanner_id": "00000000-0000-4000-8000-000000000001",
              "device_id": "d", "verdict": "ok", "kind": "legacy", "code": "GRACE001"},
             {"event_id": "10000000-0000-4000-8000-000000000001", "scanner_id": "00000000-0000-4000-8000-000000000003",
              "device_id": "d", "verdict": "malformed", "kind": "unknown"}]$$)),
          array['forbidden', 'malformed'],
          'in a batch, a stranger''s scan is refused alone and the staff scan beside it is decided');
select is((select scan ->> 'result' from public.scan_tickets('[{"device_id": "d", "verdict": "malformed", "kind": "unknown"}]')),
          'forbidden', 'a scan that names no event or scanner is refused, not decided');

select * from finish();
rollback;
