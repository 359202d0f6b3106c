-- Scan batches carry no secret in their statement text. A batch is sent as one statement
-- with its scans inlined (one round trip, see edge-functions/_shared/sql_text.ts), and
-- Postgres writes the text of a statement that fails (a lock timeout, a deadlock) into its
-- log. A print code is a bearer credential for as long as it is current, so the scanner now
-- sends only its signed part, without the MAC: the wasm core has already checked the MAC
-- under the key ring, and since the MAC is a function of the signed part (and the ticket's
-- event), a code whose signed part equals that of the ticket's current code is that code.
-- Whole codes are still accepted, for callers of scan_ticket. Legacy codes, which are the
-- whole secret, travel as a bound parameter instead (edge-functions/scanner-validate/
-- recorder.ts), which Postgres does not log with a failed statement.
--
-- scan_tickets is as in 20261127000400_scan_batches.sql but for the print-code comparison.

create or replace function public.scan_tickets(p_scans jsonb)
returns table (idx integer, scan jsonb)
language plpgsql volatile security definer
set search_path = ''
set lock_timeout = '2s'
as $$
declare
  s record;
  v_event public.events%rowtype;
  v_scanner uuid;
  v_is_staff boolean;
  v_ticket public.tickets%rowtype;
  v_result text;
  v_now timestamptz;
  -- The batch's log rows, column by column, written by one insert after the loop.
  l_ticket uuid[] := '{}';
  l_event uuid[] := '{}';
  l_device text[] := '{}';
  l_scanner uuid[] := '{}';
  l_result text[] := '{}';
  l_kind text[] := '{}';
  l_at timestamptz[] := '{}';
begin
  for s in
    select * from (
      select (x.n - 1)::integer as n, r.*,
             -- A subquery per legacy scan, so the lookup is one probe of the qr_code index.
             case when r.kind = 'legacy' then (select t.id from public.tickets t where t.qr_code = r.code)
             end as legacy_ticket_id
        from jsonb_array_elements(p_scans) with ordinality as x(value, n),
             jsonb_to_record(x.value) as r(event_id uuid, scanner_id uuid, device_id text, verdict text,
                                            kind text, ticket_id uuid, code text)
    ) q
     order by coalesce(q.ticket_id, q.legacy_ticket_id) nulls last, q.n
  loop
    idx := s.n;
    -- The event and the staff check carry over from the scan before while the event and the
    -- scanner stay the same: for every scan but the first when one account scans an event.
    if v_event.id is distinct from s.event_id or v_scanner is distinct from s.scanner_id then
      select * into v_event from public.events where id = s.event_id;
      v_scanner := s.scanner_id;
      v_is_staff := exists (select 1 from public.event_staff f
                             where f.event_id = s.event_id and f.user_id = s.scanner_id
                               and f.role in ('scanner', 'manager'));
    end if;
    -- `is not true`: a scan without an event or a scanner leaves the check null, and null
    -- must refuse.
    if v_is_staff is not true then
      scan := '{"result": "forbidden"}'::jsonb;
      return next;
      continue;
    end if;

    v_now := clock_timestamp();
    v_ticket := null;
    v_result := null;
    if s.kind = 'legacy' then
      if not v_event.allow_legacy_codes then
        v_result := 'legacy_code_disabled';
      else
        -- The code is checked again under the lock: a re-issue may have retired it since.
        select * into v_ticket from public.tickets
         where id = s.legacy_ticket_id and qr_code = s.code for update;
      end if;
    elsif s.verdict in ('ok', 'wrong_event') then
      select * into v_ticket from public.tickets where id = s.ticket_id for update;
    else
      v_result := s.verdict;
    end if;

    if v_result is null then
      v_result := case
        when v_ticket.id is null then 'not_found'
        when v_ticket.event_id <> s.event_id then 'wrong_event'
        when v_ticket.status in ('cancelled', 'refunded') then 'revoked'
        -- The presented print code is the ticket's current one, whole or without its MAC.
        when s.kind = 'print' and not coalesce(v_ticket.qr_code_signed = s.code or
               left(v_ticket.qr_code_signed, -nullif(strpos(reverse(v_ticket.qr_code_signed), '.'), 0)) = s.code,
               false)
          then 'revoked'
        when s.kind in ('print', 'legacy') and v_event.require_live_codes then 'live_code_required'
        when v_ticket.redeemed_at is null then 'redeemed'
        when v_ticket.redeemed_device_id = s.device_id
             and v_now - v_ticket.redeemed_at < interval '10 seconds' then 'rescan'
        else 'already_redeemed'
      end;
    end if;

    if v_result = 'redeemed' then
      -- The row is locked, so the guard cannot fail here; it keeps the update honest if the
      -- lock is ever removed.
      update public.tickets
         set redeemed_at = v_now, redeemed_device_id = s.device_id, status = 'redeemed'
       where id = v_ticket.id and redeemed_at is null
      returning * into v_ticket;
    end if;

    l_ticket := l_ticket || case when v_result = 'wrong_event' then null else v_ticket.id end;
    l_event := l_event || s.event_id;
    l_device := l_device || s.device_id;
    l_scanner := l_scanner || s.scanner_id;
    l_result := l_result || v_result;
    l_kind := l_kind || s.kind;
    l_at := l_at || v_now;

    scan := case
      when v_result = 'redeemed' then
        jsonb_build_object('result', v_result, 'ticket_id', v_ticket.id, 'redeemed_at', v_ticket.redeemed_at)
      when v_result in ('rescan', 'already_redeemed') then
        jsonb_build_object('result', v_result, 'ticket_id', v_ticket.id, 'redeemed_at', v_ticket.redeemed_at,
          'first_scan', jsonb_build_object('at', v_ticket.redeemed_at, 'device_id', v_ticket.redeemed_device_id))
      else jsonb_build_object('result', v_result)
    end;
    return next;
  end loop;
  -- The batch's log rows in one statement: most of a scan's cost is per statement.
  insert into public.ticket_scans (ticket_id, event_id, device_id, scanner_id, result, code_kind, scanned_at)
  select * from unnest(l_ticket, l_event, l_device, l_scanner, l_result, l_kind, l_at);
end
$$;
