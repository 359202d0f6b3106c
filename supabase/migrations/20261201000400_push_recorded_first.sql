-- Every push is recorded before it is sent. send-push used to send first and record after,
-- so a record that failed (a text Postgres refused, a lost connection) left a notification
-- delivered with no row, and a caller retrying the 500 sent it twice. Now a row is written
-- `pending` before the limit is asked and the provider is called, and each outcome settles
-- that row; a row left `pending` is a send whose outcome nobody learned.
--
-- Raises UR005 (404 unknown_user, see edge-functions/_shared/sql_errors.ts) for a user who
-- does not exist, before anything is counted or sent.

alter table public.push_deliveries drop constraint push_deliveries_status_check;
alter table public.push_deliveries
  add constraint push_deliveries_status_check check (status in ('pending', 'sent', 'failed', 'rate_limited')),
  add column settled_at timestamptz;

create function public.begin_push_delivery(p_user_id uuid, p_token text, p_title text)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  insert into public.push_deliveries (user_id, token, title, status)
  select u.id, p_token, p_title, 'pending' from auth.users u where u.id = p_user_id
  returning id into v_id;
  if v_id is null then
    raise exception 'no user %', p_user_id using errcode = 'UR005';
  end if;
  return v_id;
end
$$;

-- Settles a pending delivery once; a settled one is left as it is, and the answer is null.
create function public.settle_push_delivery(
  p_id uuid, p_status text, p_provider_ticket_id text, p_error text
)
returns boolean
language sql volatile security definer
set search_path = ''
as $$
  update public.push_deliveries
     set status = p_status, provider_ticket_id = p_provider_ticket_id, error = left(p_error, 1000),
         settled_at = now()
   where id = p_id and status = 'pending' and p_status <> 'pending'
  returning true
$$;

revoke execute on function public.begin_push_delivery(uuid, text, text) from public, anon, authenticated;
revoke execute on function public.settle_push_delivery(uuid, text, text, text) from public, anon, authenticated;
grant execute on function public.begin_push_delivery(uuid, text, text) to service_role;
grant execute on function public.settle_push_delivery(uuid, text, text, text) to service_role;

-- Replaced by the two above; nothing calls it any more.
drop function public.record_push_delivery(uuid, text, text, text, text, text);
