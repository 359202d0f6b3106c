-- Delivery tracking for push notifications: one row per notification send-push was asked
-- for, whether the provider accepted it (with its ticket id, to look up the receipt
-- later), refused it, or our own rate limit held it back.

create table public.push_deliveries (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  token text not null check (length(token) between 1 and 256),
  title text not null check (length(title) <= 200),
  status text not null check (status in ('sent', 'failed', 'rate_limited')),
  provider_ticket_id text,
  error text check (length(error) <= 1000),
  created_at timestamptz not null default now(),
  check ((status = 'sent') = (provider_ticket_id is not null))
);
create index push_deliveries_user_id_created_at_idx on public.push_deliveries (user_id, created_at desc);

alter table public.push_deliveries enable row level security;
-- Device tokens and delivery outcomes are operational data: only the service role sees them.
revoke all on public.push_deliveries from public, anon, authenticated;
grant select, insert on public.push_deliveries to service_role;

create function public.record_push_delivery(
  p_user_id uuid, p_token text, p_title text, p_status text, p_provider_ticket_id text, p_error text
)
returns uuid
language sql volatile security definer
set search_path = ''
as $$
  insert into public.push_deliveries (user_id, token, title, status, provider_ticket_id, error)
  values (p_user_id, p_token, p_title, p_status, p_provider_ticket_id, left(p_error, 1000))
  returning id
$$;
revoke execute on function public.record_push_delivery(uuid, text, text, text, text, text) from public, anon, authenticated;
grant execute on function public.record_push_delivery(uuid, text, text, text, text, text) to service_role;
