-- rate_limit_take_batch: the crate's boundaries (the full vectors run in
-- tests/ratelimit_vectors_test.ts), requests of several keys all or nothing, requests in
-- one batch one after the other, the clock, bad arguments, and the cleanup.
begin;
select plan(18);
set local role service_role;

-- take(key, count, burst, cost, now): one request of one key per minute, as a flat answer
-- {allowed, too_large, remaining, retry_after_us, reset_after_us, new tat}.
create function pg_temp.take(k text, n integer, b integer, cost bigint, now_us bigint) returns bigint[]
language sql as $$
  select public.rate_limit_take_batch(array[k], array[n], array[60000000]::bigint[], array[b], array[1],
                                      array[cost], array[now_us])
$$;

-- 5 per minute from T0 = 1_800_000_000_000_000: five at once, the sixth waits 12 s.
select is(array(select pg_temp.take('pgtap:five', 5, 5, 1, 1800000000000000 + 0 * i)
                from generate_series(1, 5) i),
          array[[1, 0, 4, -1, 12000000, 1800000012000000], [1, 0, 3, -1, 24000000, 1800000024000000],
                [1, 0, 2, -1, 36000000, 1800000036000000], [1, 0, 1, -1, 48000000, 1800000048000000],
                [1, 0, 0, -1, 60000000, 1800000060000000]]::bigint[],
          'five admissions at one instant, each with less remaining');
select is(pg_temp.take('pgtap:five', 5, 5, 1, 1800000000000000), array[0, 0, 0, 12000000, 60000000, -1]::bigint[],
          'the sixth is refused for exactly one emission interval');
select is(pg_temp.take('pgtap:five', 5, 5, 1, 1800000011999999), array[0, 0, 0, 1, 48000001, -1]::bigint[],
          'one microsecond early is still refused');
select is(pg_temp.take('pgtap:five', 5, 5, 1, 1800000012000000), array[1, 0, 0, -1, 60000000, 1800000072000000]::bigint[],
          'exactly on time is admitted');
select is((select tat_us from public.rate_limits where key = 'pgtap:five'), 1800000072000000::bigint,
          'a refusal never moved the stored state');

select is(pg_temp.take('pgtap:big', 5, 5, 6, 1800000000000000), array[0, 1, 0, -1, 0, -1]::bigint[],
          'a cost above the burst is refused outright');
select is_empty($$ select 1 from public.rate_limits where key = 'pgtap:big' $$, 'and stores nothing');

-- All or nothing: b has a burst of 1 and is spent, so a is untouched by the refused request.
select is(pg_temp.take('pgtap:b', 1, 1, 1, 1800000000000000), array[1, 0, 0, -1, 60000000, 1800000060000000]::bigint[],
          'spend b');
select is(public.rate_limit_take_batch(array['pgtap:a', 'pgtap:b'], array[5, 1], array[60000000, 60000000]::bigint[],
            array[5, 1], array[1, 1], array[1]::bigint[], array[1800000000000000]::bigint[]),
          array[1, 0, 5, -1, 0, -1, 0, 0, 0, 60000000, 60000000, -1]::bigint[],
          'a request refused by one key reports the other as a take of cost 0 and stores nothing');
select is_empty($$ select 1 from public.rate_limits where key = 'pgtap:a' $$,
                'the admissible key was not written: a refusal writes nothing');

-- One batch, three requests, decided in order: the second sees what the first took, and
-- the third, refused by c, takes nothing from d.
select is(public.rate_limit_take_batch(
            array['pgtap:c', 'pgtap:c', 'pgtap:d', 'pgtap:d', 'pgtap:c'], array[1, 1, 5, 5, 1],
            array[60000000, 60000000, 60000000, 60000000, 60000000]::bigint[], array[1, 1, 5, 5, 1],
            array[1, 2, 2, 3, 3], array[1, 1, 1]::bigint[],
            array[1800000000000000, 1800000000000000, 1800000000000000]::bigint[]),
          array[1, 0, 0, -1, 60000000, 1800000060000000,
                0, 0, 0, 60000000, 60000000, -1, 1, 0, 5, -1, 0, -1,
                1, 0, 5, -1, 0, -1, 0, 0, 0, 60000000, 60000000, -1]::bigint[],
          'requests in one batch are decided one after the other, each all or nothing');

-- Without a time the database's clock decides: a fresh key is at now + T.
select ok((select abs((pg_temp.take('pgtap:clock', 5, 5, 1, null))[6]
                      - (extract(epoch from clock_timestamp()) * 1000000)::bigint - 12000000) < 5000000),
          'a request without a time is decided on the database clock');

select throws_ok($$ select pg_temp.take('pgtap:bad', 0, 5, 1, null) $$, 'UR101', null,
                 'a zero count is refused with UR101');
select throws_ok($$ select public.rate_limit_take_batch(array['k'], array[10], array[5]::bigint[], array[5], array[1],
                      array[1]::bigint[], array[null]::bigint[]) $$, 'UR101', null,
                 'an emission interval under 1 us is refused');
select throws_ok($$ select pg_temp.take('pgtap:bad', 5, 5, -1, null) $$, 'UR101', null, 'a negative cost is refused');
select throws_ok($$ select public.rate_limit_take_batch(array['k', 'k'], array[5, 5], array[60000000, 60000000]::bigint[],
                      array[5, 5], array[1, 1], array[1]::bigint[], array[null]::bigint[]) $$, 'UR101', null,
                 'a key twice in one request is refused');

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
