-- rate_limit_take and rate_limit_take_all in SQL: the crate's boundaries (the full
-- vectors run in tests/ratelimit_vectors_test.ts), bad quotas, all-or-nothing, cleanup.
begin;
select plan(15);
set local role service_role;

-- 5 per minute from T0 = 1_800_000_000_000_000: five at once, the sixth waits 12 s.
select results_eq(
  $$ select allowed, remaining, reset_after_us from generate_series(1, 5) i,
       lateral public.rate_limit_take('pgtap:five', 5, 60000000, 5, 1, 1800000000000000 + 0 * i) $$,
  $$ values (true, 4, 12000000::bigint), (true, 3, 24000000::bigint), (true, 2, 36000000::bigint),
            (true, 1, 48000000::bigint), (true, 0, 60000000::bigint) $$,
  'five admissions at one instant, each with less remaining');
select results_eq(
  $$ select allowed, too_large, remaining, retry_after_us, reset_after_us, tat_us
     from public.rate_limit_take('pgtap:five', 5, 60000000, 5, 1, 1800000000000000) $$,
  $$ values (false, false, 0, 12000000::bigint, 60000000::bigint, null::bigint) $$,
  'the sixth is refused for exactly one emission interval');
select results_eq(
  $$ select allowed, retry_after_us from public.rate_limit_take('pgtap:five', 5, 60000000, 5, 1, 1800000011999999) $$,
  $$ values (false, 1::bigint) $$, 'one microsecond early is still refused');
select results_eq(
  $$ select allowed, tat_us from public.rate_limit_take('pgtap:five', 5, 60000000, 5, 1, 1800000012000000) $$,
  $$ values (true, 1800000072000000::bigint) $$, 'exactly on time is admitted');
select is((select tat_us from public.rate_limits where key = 'pgtap:five'), 1800000072000000::bigint,
          'a refusal never moved the stored state');

select results_eq(
  $$ select allowed, too_large, remaining, retry_after_us, reset_after_us
     from public.rate_limit_take('pgtap:big', 5, 60000000, 5, 6, 1800000000000000) $$,
  $$ values (false, true, 0, null::bigint, 0::bigint) $$, 'a cost above the burst is refused outright');
select is_empty($$ select 1 from public.rate_limits where key = 'pgtap:big' $$, 'and stores nothing');

select throws_ok($$ select public.rate_limit_take('pgtap:bad', 0, 60000000, 5) $$, '22023', null,
                 'a zero count is refused as invalid_parameter_value');
select throws_ok($$ select public.rate_limit_take('pgtap:bad', 10, 5, 5) $$, '22023', null,
                 'an emission interval under 1 us is refused');
select throws_ok($$ select public.rate_limit_take('pgtap:bad', 5, 60000000, 5, -1) $$, '22023', null,
                 'a negative cost is refused');

-- All or nothing: b has a burst of 1 and is spent, so a is untouched by the refused take.
select lives_ok($$ select public.rate_limit_take('pgtap:b', 1, 60000000, 1, 1, 1800000000000000) $$, 'spend b');
select results_eq(
  $$ select key, allowed, tat_us from public.rate_limit_take_all(array['pgtap:a', 'pgtap:b'], array[5, 1],
       array[60000000, 60000000]::bigint[], array[5, 1], 1, 1800000000000000) $$,
  $$ values ('pgtap:a', true, null::bigint), ('pgtap:b', false, null::bigint) $$,
  'a take refused by one key reports the other as admissible but stores nothing');
select is((select tat_us from public.rate_limits where key = 'pgtap:a'), 0::bigint,
          'the admissible key kept its fresh state');

-- Cleanup removes keys whose TAT has passed by the real clock and keeps the rest (the
-- keys above have TATs in 2027).
reset role;
insert into public.rate_limits (key, tat_us) values ('pgtap:stale', 1);
select ok(public.rate_limit_cleanup() >= 1, 'cleanup reports the keys it deleted');
select ok(not exists (select 1 from public.rate_limits where key = 'pgtap:stale')
          and exists (select 1 from public.rate_limits where key = 'pgtap:five'),
          'cleanup deletes stale keys and keeps live ones');

select * from finish();
rollback;
