-- The e-mail processor runs every minute: pg_cron calls process-email-queue over HTTP through
-- pg_net, with the project's URL and service-role key from Vault, as Supabase's guide
-- "Scheduling Edge Functions" does. An operator stores the two secrets once per project
-- (docs/local-pg-net.md); the local stack stores its own and stands in for pg_net and Vault
-- with the same names. Debian's pg_cron (1.4) has no schedules below a minute; a run keeps
-- claiming for 35 s (EMAIL_RUN_BUDGET_MS), so the queue is worked almost all the time and
-- the 1 s and 5 s retries happen within a run.

do $$
begin
  -- Hosted Supabase has pg_net to enable; the local stack's stand-in is already in place.
  if exists (select 1 from pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net;
  end if;
end
$$;

-- Calls an edge function of this project as the service role and answers pg_net's request id
-- (the answer lands in net._http_response). Late-bound (plpgsql), so the migration does not
-- depend on which pg_net provides `net`; a missing secret is a clear error in the job's log.
create function public.invoke_edge_function(p_name text, p_body jsonb default '{}'::jsonb,
                                            p_timeout_ms integer default 60000)
returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_url text := (select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'project_url');
  v_key text := (select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'service_role_key');
begin
  if v_url is null or v_key is null then
    raise exception 'invoke_edge_function needs the Vault secrets project_url and service_role_key'
      using errcode = 'UR007';
  end if;
  if p_name !~ '^[a-z0-9-]{1,64}$' then
    raise exception 'invoke_edge_function: % is no function name', p_name using errcode = 'UR007';
  end if;
  return net.http_post(
    url := v_url || '/functions/v1/' || p_name,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_key),
    body := p_body,
    timeout_milliseconds := p_timeout_ms);
end
$$;
revoke execute on function public.invoke_edge_function(text, jsonb, integer) from public, anon, authenticated, service_role;

select cron.schedule('process-email-queue', '* * * * *', $$select public.invoke_edge_function('process-email-queue')$$);
