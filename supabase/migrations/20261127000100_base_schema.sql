-- The ticketing app as it stands before Usher: events, orders, tickets (with the legacy
-- 8-character QR code) and event staff. Row level security is on for every table; users
-- see only their own orders and tickets, and no API role may write these tables directly.

create table public.events (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  venue text not null default '',
  starts_at timestamptz not null,
  organizer_id uuid references auth.users (id),
  created_at timestamptz not null default now()
);

create table public.orders (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id),
  event_id uuid not null references public.events (id),
  status text not null default 'pending'
    check (status in ('pending', 'paid', 'refunded', 'cancelled')),
  amount_cents integer not null check (amount_cents >= 0),
  currency text not null default 'eur' check (currency ~ '^[a-z]{3}$'),
  stripe_checkout_session_id text unique,
  created_at timestamptz not null default now()
);
create index orders_user_id_idx on public.orders (user_id);

create table public.tickets (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references public.orders (id),
  event_id uuid not null references public.events (id),
  user_id uuid not null references auth.users (id),
  -- The legacy code: 8 random characters, guessable and copyable. Kept for old tickets.
  qr_code text not null unique check (qr_code ~ '^[A-Z0-9]{8}$'),
  status text not null default 'valid'
    check (status in ('valid', 'redeemed', 'cancelled', 'refunded')),
  redeemed_at timestamptz,
  created_at timestamptz not null default now()
);
create index tickets_user_id_idx on public.tickets (user_id);
create index tickets_event_id_idx on public.tickets (event_id);

-- Who works an event: scanners admit people, analysts see its dashboard.
create table public.event_staff (
  event_id uuid not null references public.events (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('scanner', 'analyst', 'manager')),
  primary key (event_id, user_id, role)
);
create index event_staff_user_id_idx on public.event_staff (user_id);

alter table public.events enable row level security;
alter table public.orders enable row level security;
alter table public.tickets enable row level security;
alter table public.event_staff enable row level security;

-- Supabase grants every API role all privileges on new tables; writes go through
-- security-definer functions and the service role, so the client roles keep only SELECT.
revoke all on public.events, public.orders, public.tickets, public.event_staff from anon, authenticated;
grant select on public.events to anon, authenticated;
grant select on public.orders, public.tickets, public.event_staff to authenticated;

create policy "events are public" on public.events
  for select to anon, authenticated using (true);
create policy "users see their own orders" on public.orders
  for select to authenticated using (user_id = (select auth.uid()));
create policy "users see their own tickets" on public.tickets
  for select to authenticated using (user_id = (select auth.uid()));
create policy "staff see their own assignments" on public.event_staff
  for select to authenticated using (user_id = (select auth.uid()));

-- Whether a user holds a staff role for an event (a manager holds every role).
create function public.is_event_staff(p_event_id uuid, p_user_id uuid, p_role text)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.event_staff s
    where s.event_id = p_event_id and s.user_id = p_user_id and s.role in (p_role, 'manager')
  )
$$;
revoke execute on function public.is_event_staff(uuid, uuid, text) from public, anon, authenticated;
grant execute on function public.is_event_staff(uuid, uuid, text) to service_role;
