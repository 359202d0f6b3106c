-- What hosted Supabase provides and plain PostgreSQL lacks: the API roles, the `auth`
-- schema with its claim helpers, and Supabase's default grants. Applied by `make up`
-- before the migrations, never as a migration itself: on a real project these exist.
-- Idempotent, so `make up` can run it on every start.

do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
end
$$;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

create schema if not exists extensions;
create schema if not exists auth;
grant usage on schema auth, extensions to anon, authenticated, service_role;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists pgtap with schema extensions;

-- A minimal auth.users: the columns the app's foreign keys and tests need.
create table if not exists auth.users (
  id uuid primary key default gen_random_uuid(),
  email text unique,
  raw_app_meta_data jsonb not null default '{}',
  created_at timestamptz not null default now()
);

-- The claim helpers behave as Supabase's do: PostgREST (and our tests) put the verified
-- JWT's claims in the `request.jwt.claims` setting.
create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select nullif(auth.jwt() ->> 'sub', '')::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select auth.jwt() ->> 'role'
$$;

-- Supabase puts extensions in their own schema and on every role's search path.
alter role postgres set search_path = "$user", public, extensions;
alter role authenticator set search_path = "$user", public, extensions;

-- Supabase's defaults are permissive (RLS is what protects tables), so the migrations
-- are tested against the same defaults and must revoke what they do not want exposed.
-- Only on a database the migrations have not touched yet: a migration may narrow these
-- defaults, and a later `make up` must not widen them again.
grant usage on schema public to anon, authenticated, service_role;
do $$
begin
  if to_regclass('supabase_migrations.schema_migrations') is null then
    alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
    alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
  end if;
end
$$;

-- pg_net and Supabase Vault, which hosted Supabase ships and Debian does not: stand-ins with
-- the same names, signatures and defaults (pg_net 0.19, supabase_vault 0.3), made only when
-- the real extension is absent. tools/local/pg_net.ts is the background worker that sends
-- what net.http_post queues; docs/local-pg-net.md says where the two differ from the real.
select not exists (select from pg_extension where extname = 'pg_net') as net_stand_in,
       not exists (select from pg_extension where extname = 'supabase_vault') as vault_stand_in
\gset

\if :net_stand_in
create schema if not exists net;
do $$
begin
  if to_regtype('net.http_method') is null then
    create domain net.http_method as text
      check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
  end if;
end
$$;

-- Requests waiting for the worker, which deletes each row as it takes it.
create table if not exists net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds int not null
);

-- One row a request, by its id, once answered or failed; kept for 6 hours (pg_net.ttl).
create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- Wakes the worker. A notification is sent when the transaction commits and never when it
-- rolls back, which is why a request leaves only after its transaction commits.
create or replace function net.wake() returns void
language sql
as $$
  select pg_notify('usher_pg_net', '')
$$;

-- A queued request wakes the worker however it was queued (pg_net's own functions call
-- net.wake(), and so do callers that insert into the queue themselves).
create or replace function net._wake_on_insert() returns trigger
language plpgsql
as $$
begin
  perform net.wake();
  return null;
end
$$;
create or replace trigger wake_worker
  after insert on net.http_request_queue
  for each statement execute function net._wake_on_insert();

-- RFC 3986 percent-encoding of everything but the unreserved characters, as curl_easy_escape.
create or replace function net._urlencode_string(string varchar) returns text
language sql immutable strict
as $$
  select coalesce(string_agg(
           case when c ~ '^[A-Za-z0-9._~-]$' then c
                else upper(regexp_replace(encode(convert_to(c, 'UTF8'), 'hex'), '(..)', '%\1', 'g'))
           end, '' order by i), '')
    from regexp_split_to_table(string, '') with ordinality as chars(c, i)
$$;

create or replace function net._encode_url_with_params_array(url text, params_array text[]) returns text
language sql immutable strict
as $$
  select case when cardinality(params_array) = 0 then url
              else url || case when position('?' in url) > 0 then '&' else '?' end
                       || array_to_string(params_array, '&')
         end
$$;

-- What http_get and http_post share: the params appended to the URL, the row queued, the
-- worker woken.
create or replace function net._enqueue(
  method net.http_method, url text, params jsonb, headers jsonb, body bytea, timeout_milliseconds int
) returns bigint
language plpgsql
as $$
declare
  request_id bigint;
  params_array text[];
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, net._encode_url_with_params_array(url, params_array), headers, body, timeout_milliseconds)
  returning id into request_id;
  perform net.wake();
  return request_id;
end
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql
as $$
  select net._enqueue('GET', url, params, headers, null, timeout_milliseconds)
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language plpgsql
as $$
declare
  content_type text;
begin
  select header_value into content_type
    from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as h(header_name, header_value)
   where lower(header_name) = 'content-type'
   limit 1;
  if content_type is null then
    headers := coalesce(headers, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb;
  end if;
  if content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  if body is null then
    raise exception 'body must not be null';
  end if;
  return net._enqueue('POST', url, params, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds);
end
$$;

-- The database's own roles only: pg_net as shipped lets PUBLIC use all of this, so on a
-- hosted project a client could make the database send requests (docs/local-pg-net.md).
revoke all on schema net from public, anon, authenticated;
revoke all on all tables in schema net from public, anon, authenticated;
revoke all on all sequences in schema net from public, anon, authenticated;
revoke all on all functions in schema net from public, anon, authenticated;
grant usage on schema net to postgres, service_role;
grant all on all tables in schema net to postgres, service_role;
grant all on all sequences in schema net to postgres, service_role;
grant execute on all functions in schema net to postgres, service_role;
\endif

\if :vault_stand_in
create schema if not exists vault;

-- The real `secret` holds the ciphertext (base64, libsodium AEAD keyed outside the
-- database); here it holds the secret itself, and key_id and nonce stay empty.
create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;

create or replace view vault.decrypted_secrets as
select s.id, s.name, s.description, s.secret, s.secret as decrypted_secret, s.key_id, s.nonce,
       s.created_at, s.updated_at
  from vault.secrets s;

create or replace function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null -- unused, as in supabase_vault 0.3
) returns uuid
language plpgsql security definer
set search_path = ''
as $$
declare
  secret_id uuid;
begin
  insert into vault.secrets (secret, name, description)
  values (new_secret, new_name, new_description)
  returning id into secret_id;
  return secret_id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null -- unused, as in supabase_vault 0.3
) returns void
language plpgsql security definer
set search_path = ''
as $$
begin
  update vault.secrets s
     set secret = coalesce(new_secret, s.secret),
         name = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         updated_at = now()
   where s.id = secret_id;
end
$$;

-- What hosted Supabase grants after creating the extension: postgres and service_role read
-- and delete secrets and call the two functions; nobody else reaches the schema.
revoke all on schema vault from public, anon, authenticated;
revoke all on all tables in schema vault from public, anon, authenticated;
revoke all on all functions in schema vault from public, anon, authenticated;
grant usage on schema vault to postgres, service_role;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres, service_role;
grant execute on function vault.create_secret(text, text, text, uuid),
                          vault.update_secret(uuid, text, text, text, uuid) to postgres, service_role;
\endif
