-- The local stand-ins for pg_net and Vault (tools/local/bootstrap.sql) are closed to the
-- client roles: no schema, table, sequence or function in net or vault is theirs to use,
-- checked over the catalog, and a client's calls are refused. The service role may queue a
-- request and keep secrets. Everything here is rolled back, so nothing is sent or kept.
-- Hosted Supabase's own pg_net lets PUBLIC use net (docs/local-pg-net.md): this file is
-- about the local stack.
begin;
select plan(14);

select is_empty($$
  select format('%s can use schema %s', r.rolname, n.nspname)
    from pg_namespace n
   cross join (values ('anon'), ('authenticated'), ('public')) as r(rolname)
   where n.nspname in ('net', 'vault')
     and has_schema_privilege(r.rolname, n.oid, 'usage')
$$, 'no client role, nor PUBLIC, may use schema net or vault');

select is_empty($$
  select format('%s holds a right on %s', r.rolname, c.oid::regclass)
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
   cross join (values ('anon'), ('authenticated')) as r(rolname)
   where n.nspname in ('net', 'vault')
     and (case when c.relkind = 'S'
               then has_sequence_privilege(r.rolname, c.oid, 'usage, select, update')
               when c.relkind in ('r', 'v', 'm', 'p', 'f')
               then has_table_privilege(r.rolname, c.oid, 'select, insert, update, delete, truncate, references, trigger')
               else false end)
$$, 'no client role holds a right on any table, view or sequence in net or vault');

select is_empty($$
  select format('%s can execute %s', r.rolname, p.oid::regprocedure)
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
   cross join (values ('anon'), ('authenticated')) as r(rolname)
   where n.nspname in ('net', 'vault') and has_function_privilege(r.rolname, p.oid, 'execute')
$$, 'no client role may execute any function in net or vault');

set local role anon;
select throws_ok($$ select net.http_post('http://127.0.0.1:9/anon') $$, '42501', null,
                 'anon cannot call net.http_post');
select throws_ok($$ select net.http_get('http://127.0.0.1:9/anon') $$, '42501', null,
                 'anon cannot call net.http_get');
select throws_ok($$ select decrypted_secret from vault.decrypted_secrets $$, '42501', null,
                 'anon cannot read vault.decrypted_secrets');
select throws_ok($$ select vault.create_secret('x', 'tests_anon') $$, '42501', null,
                 'anon cannot call vault.create_secret');
reset role;

set local role authenticated;
select tests.as_user('00000000-0000-4000-8000-000000000001');
select throws_ok($$ select net.http_post('http://127.0.0.1:9/user') $$, '42501', null,
                 'a user cannot call net.http_post');
select throws_ok($$ select decrypted_secret from vault.decrypted_secrets $$, '42501', null,
                 'a user cannot read vault.decrypted_secrets');
select throws_ok($$ select count(*) from net._http_response $$, '42501', null,
                 'a user cannot read net._http_response');
reset role;

set local role service_role;
select isnt(net.http_post('http://127.0.0.1:9/service-role'), null,
            'service_role may queue a request (rolled back with this file, so never sent)');
select isnt(vault.create_secret('s3cret', 'tests_service_role'), null, 'service_role may create a secret');
select is((select decrypted_secret from vault.decrypted_secrets where name = 'tests_service_role'), 's3cret',
          'service_role reads it back decrypted');
select lives_ok($$ select count(*) from net._http_response $$, 'service_role may read net._http_response');
reset role;

select * from finish();
rollback;
