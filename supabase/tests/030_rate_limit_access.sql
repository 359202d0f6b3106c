-- The limiter's table and functions belong to the service role alone: clients can
-- neither read a key's state nor spend (or reset) anyone's quota.
begin;
select plan(16);

select ok((select relrowsecurity from pg_class where oid = 'public.rate_limits'::regclass),
          'RLS is enabled on rate_limits');
select ok(exists (select 1 from cron.job where jobname = 'rate-limit-cleanup' and schedule = '* * * * *'),
          'pg_cron cleans up stale keys every minute');

set local role anon;
select tests.as_claims('{"role":"anon"}');
select throws_ok($$ select * from public.rate_limits $$, '42501', null, 'anon cannot read rate_limits');
select throws_ok($$ select public.rate_limit_take_batch(array['k'], array[5], array[60000000]::bigint[], array[5],
                      array[1], array[1]::bigint[], array[null]::bigint[]) $$, '42501', null,
                 'anon cannot call rate_limit_take_batch');
select throws_ok($$ select public.email_rate_limit_take('a@example.com') $$, '42501', null,
                 'anon cannot call email_rate_limit_take');

set local role authenticated;
select tests.as_user('00000000-0000-4000-8000-000000000001');
select throws_ok($$ select * from public.rate_limits $$, '42501', null, 'a user cannot read rate_limits');
select throws_ok($$ delete from public.rate_limits $$, '42501', null, 'a user cannot reset limits');
select throws_ok($$ insert into public.rate_limits (key, tat_us) values ('k', 0) $$, '42501', null,
                 'a user cannot write limit state');
select throws_ok($$ select public.rate_limit_take_batch(array['k'], array[5], array[60000000]::bigint[], array[5],
                      array[1], array[1]::bigint[], array[null]::bigint[]) $$, '42501', null,
                 'a user cannot call rate_limit_take_batch');
select throws_ok($$ select public.email_rate_limit_take('a@example.com') $$, '42501', null,
                 'a user cannot call email_rate_limit_take');
select throws_ok($$ select public.rate_limit_cleanup() $$, '42501', null, 'a user cannot run the cleanup');

reset role;
set local role service_role;
select lives_ok($$ select public.rate_limit_take_batch(array['pgtap:access'], array[5], array[60000000]::bigint[],
                     array[5], array[1], array[1]::bigint[], array[null]::bigint[]) $$,
                'service_role can call rate_limit_take_batch');
select results_eq($$ select count(*)::int from public.rate_limits where key = 'pgtap:access' $$, array[1],
                  'service_role can read rate_limits');
select lives_ok($$ select public.email_rate_limit_take('pgtap-access@example.com') $$,
                'service_role can call email_rate_limit_take');

-- The functions run as their owner with a pinned search_path, and the batch gives up on
-- a row lock before the edge function gives up on it.
reset role;
select is((select count(*)::int from pg_proc
           where proname in ('rate_limit_take_batch', 'email_rate_limit_take', 'rate_limit_cleanup')
             and pronamespace = 'public'::regnamespace and prosecdef
             and proconfig @> array['search_path=""']),
          3, 'every limiter entry point is security definer with search_path pinned');
select ok((select proconfig @> array['lock_timeout=2s'] from pg_proc
           where oid = 'public.rate_limit_take_batch(text[], integer[], bigint[], integer[], integer[], bigint[], bigint[])'::regprocedure),
          'rate_limit_take_batch waits at most 2 s for a row lock');

select * from finish();
rollback;
