-- Signed ticket codes, the scan log and atomic redemption. The codes are signed and
-- verified in the wasm core (docs/qr-format.md); this file holds what must be decided
-- against the database: whether the ticket can be admitted, exactly once.

alter table public.events
  add column require_live_codes boolean not null default false,
  add column allow_legacy_codes boolean not null default true;

-- The current print code. Re-issuing replaces it, which revokes the old one: a print code
-- is admitted only while it is the ticket's current one.
alter table public.tickets
  add column qr_code_signed text unique,
  add column redeemed_device_id text;

-- Every scan attempt, admitted or not, for audit and for the door staff's dashboard.
-- The log carries no foreign keys on purpose. For event_id and scanner_id, every door at
-- an event would take a key-share lock on the same rows for each insert, and those shared
-- locks serialise through MultiXacts under load; for ticket_id, the check would re-read a
-- row scan_ticket has just locked. scan_ticket only logs ids it has found.
create table public.ticket_scans (
  id bigint generated always as identity primary key,
  ticket_id uuid,
  event_id uuid not null,
  device_id text not null check (length(device_id) between 1 and 64),
  scanner_id uuid not null,
  result text not null check (result in (
    'redeemed', 'rescan', 'already_redeemed', 'expired', 'not_yet_valid', 'invalid_signature',
    'unknown_key', 'malformed', 'wrong_event', 'revoked', 'not_found', 'legacy_code_disabled',
    'live_code_required')),
  code_kind text not null check (code_kind in ('print', 'live', 'legacy', 'unknown')),
  scanned_at timestamptz not null default clock_timestamp()
);
create index ticket_scans_ticket_idx on public.ticket_scans (ticket_id, scanned_at);
create index ticket_scans_event_idx on public.ticket_scans (event_id, scanned_at);

alter table public.ticket_scans enable row level security;
revoke all on public.ticket_scans from anon, authenticated;

-- New tickets carry only a signed code; the 8-character code stays for old ones.
alter table public.tickets alter column qr_code drop not null;

-- The event a ticket belongs to, so the scanner can tell a genuine code for another event
-- (`wrong_event`) from a forgery. Answers null for an unknown ticket.
create function public.ticket_event(p_ticket_id uuid)
returns uuid
language sql stable security definer
set search_path = ''
as $$
  select event_id from public.tickets where id = p_ticket_id
$$;

-- One scan, decided and logged in one transaction. `p_verdict` is what the wasm core said
-- of the code ('ok', or the reason it refused it, or 'wrong_event' after the second check);
-- `p_kind` is 'print', 'live', 'legacy' or 'unknown'. For legacy codes `p_code` is the
-- 8-character code and `p_ticket_id` is null. The ticket row is locked (FOR UPDATE), so
-- concurrent scans of one ticket queue up and exactly one of them redeems it.
create function public.scan_ticket(
  p_event_id uuid,
  p_scanner_id uuid,
  p_device_id text,
  p_verdict text,
  p_kind text,
  p_ticket_id uuid default null,
  p_code text default null
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_event public.events%rowtype;
  v_ticket public.tickets%rowtype;
  v_result text;
  v_now timestamptz := clock_timestamp();
  v_first jsonb;
begin
  -- The staff check of is_event_staff, written out: a call to a function with its own
  -- search_path costs a setting save and restore on every scan.
  if not exists (select 1 from public.event_staff s
                  where s.event_id = p_event_id and s.user_id = p_scanner_id
                    and s.role in ('scanner', 'manager')) then
    raise exception 'user % may not scan for event %', p_scanner_id, p_event_id
      using errcode = 'UR403';
  end if;
  select * into v_event from public.events where id = p_event_id;

  if p_kind = 'legacy' then
    if not v_event.allow_legacy_codes then
      v_result := 'legacy_code_disabled';
    else
      select * into v_ticket from public.tickets where qr_code = p_code for update;
    end if;
  elsif p_verdict in ('ok', 'wrong_event') then
    select * into v_ticket from public.tickets where id = p_ticket_id for update;
  else
    v_result := p_verdict;
  end if;

  if v_result is null then
    v_result := case
      when v_ticket.id is null then 'not_found'
      when v_ticket.event_id <> p_event_id then 'wrong_event'
      when v_ticket.status in ('cancelled', 'refunded') then 'revoked'
      when p_kind = 'print' and v_ticket.qr_code_signed is distinct from p_code then 'revoked'
      when p_kind in ('print', 'legacy') and v_event.require_live_codes then 'live_code_required'
      when v_ticket.redeemed_at is null then 'redeemed'
      when v_ticket.redeemed_device_id = p_device_id
           and v_now - v_ticket.redeemed_at < interval '10 seconds' then 'rescan'
      else 'already_redeemed'
    end;
  end if;

  if v_result = 'redeemed' then
    -- The row is locked, so the guard cannot fail here; it keeps the update honest if the
    -- lock is ever removed.
    update public.tickets
       set redeemed_at = v_now, redeemed_device_id = p_device_id, status = 'redeemed'
     where id = v_ticket.id and redeemed_at is null
    returning * into v_ticket;
  end if;

  insert into public.ticket_scans (ticket_id, event_id, device_id, scanner_id, result, code_kind, scanned_at)
  values (case when v_result = 'wrong_event' then null else v_ticket.id end,
          p_event_id, p_device_id, p_scanner_id, v_result, p_kind, v_now);

  if v_result in ('rescan', 'already_redeemed') then
    v_first := jsonb_build_object('at', v_ticket.redeemed_at, 'device_id', v_ticket.redeemed_device_id);
  end if;
  return jsonb_strip_nulls(jsonb_build_object(
    'result', v_result,
    'ticket_id', case when v_result in ('redeemed', 'rescan', 'already_redeemed') then v_ticket.id end,
    'redeemed_at', case when v_result in ('redeemed', 'rescan', 'already_redeemed') then v_ticket.redeemed_at end,
    'first_scan', v_first));
end
$$;

-- A new ticket with its signed print code, in one statement. The id is chosen by the
-- caller because the code, signed before the insert, binds it.
create function public.issue_ticket(
  p_ticket_id uuid, p_order_id uuid, p_event_id uuid, p_user_id uuid, p_code text
) returns void
language sql volatile security definer
set search_path = ''
as $$
  insert into public.tickets (id, order_id, event_id, user_id, qr_code_signed)
  values (p_ticket_id, p_order_id, p_event_id, p_user_id, p_code)
$$;

-- Sets a ticket's print code: a re-issue replaces the current one, which revokes it, and
-- drops the ticket's legacy 8-character code too (else a leaked legacy code would outlive
-- the re-issue meant to stop it); a backfill (`p_replace` false) only fills a missing code
-- and keeps the legacy one, which events may still allow. Answers whether the ticket took
-- the code.
create function public.set_ticket_print_code(p_ticket_id uuid, p_code text, p_replace boolean)
returns boolean
language sql volatile security definer
set search_path = ''
as $$
  with updated as (
    update public.tickets
       set qr_code_signed = p_code, qr_code = case when p_replace then null else qr_code end
     where id = p_ticket_id and (p_replace or qr_code_signed is null)
    returning 1
  )
  select exists (select 1 from updated)
$$;

-- The ticket, if `p_user_id` owns it: what the display-key endpoint may hand out.
create function public.owned_ticket(p_ticket_id uuid, p_user_id uuid)
returns table (ticket_id uuid, event_id uuid, status text)
language sql stable security definer
set search_path = ''
as $$
  select id, event_id, status from public.tickets where id = p_ticket_id and user_id = p_user_id
$$;

revoke execute on function public.ticket_event(uuid), public.scan_ticket(uuid, uuid, text, text, text, uuid, text),
  public.issue_ticket(uuid, uuid, uuid, uuid, text), public.set_ticket_print_code(uuid, text, boolean),
  public.owned_ticket(uuid, uuid)
  from public, anon, authenticated;
grant execute on function public.ticket_event(uuid), public.scan_ticket(uuid, uuid, text, text, text, uuid, text),
  public.issue_ticket(uuid, uuid, uuid, uuid, text), public.set_ticket_print_code(uuid, text, boolean),
  public.owned_ticket(uuid, uuid)
  to service_role;
