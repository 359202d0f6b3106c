-- A small, realistic data set for the local stack and the demo. Fixed ids make the demo
-- and the tests readable. Applied once by `supabase db push --include-seed`.
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-000000000001', 'ada@example.com'),
  ('00000000-0000-4000-8000-000000000002', 'grace@example.com'),
  ('00000000-0000-4000-8000-000000000003', 'door-north@usher.example'),
  ('00000000-0000-4000-8000-000000000004', 'door-south@usher.example'),
  ('00000000-0000-4000-8000-000000000005', 'organizer@usher.example')
on conflict do nothing;

insert into public.events (id, name, venue, starts_at, organizer_id) values
  ('10000000-0000-4000-8000-000000000001', 'Night at the Planetarium', 'Hall A', now() + interval '7 days',
   '00000000-0000-4000-8000-000000000005'),
  ('10000000-0000-4000-8000-000000000002', 'Jazz in the Park', 'Park Stage', now() + interval '14 days',
   '00000000-0000-4000-8000-000000000005')
on conflict do nothing;

insert into public.event_staff (event_id, user_id, role) values
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003', 'scanner'),
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000004', 'scanner'),
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000005', 'manager'),
  ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000005', 'manager')
on conflict do nothing;

insert into public.orders (id, user_id, event_id, status, amount_cents, stripe_checkout_session_id) values
  ('20000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001',
   '10000000-0000-4000-8000-000000000001', 'paid', 5000, 'cs_test_seed_ada'),
  ('20000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000002',
   '10000000-0000-4000-8000-000000000001', 'paid', 2500, 'cs_test_seed_grace')
on conflict do nothing;

insert into public.tickets (id, order_id, event_id, user_id, qr_code) values
  ('30000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001',
   '10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'ADA00001'),
  ('30000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001',
   '10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'ADA00002'),
  ('30000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000002',
   '10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'GRACE001')
on conflict do nothing;

-- The platform admin, who sees the operations page (20261202000600_operations.sql).
with ops as (
  insert into auth.users (id, email) values ('00000000-0000-4000-8000-000000000006', 'ops@usher.example')
  on conflict do nothing
  returning id
)
insert into public.platform_admins (user_id) select id from ops on conflict do nothing;
