-- The e-mail limits: 10 per minute per recipient and 100 per minute in all, both or
-- neither, with a retry-after so the queue defers instead of dropping.
begin;
select plan(8);
set local role service_role;
delete from public.rate_limits where key like 'email:%';

select results_eq(
  $$ select bool_and(allowed) from generate_series(1, 10) i,
       lateral public.email_rate_limit_take('fan@example.com', 1800000000000000 + 0 * i) $$,
  array[true], 'ten e-mails to one recipient in a minute go out');
select results_eq(
  $$ select allowed, retry_after_us, limited_by from public.email_rate_limit_take('FAN@example.com ', 1800000000000000) $$,
  $$ values (false, 6000000::bigint, 'recipient') $$,
  'the eleventh, to the same address in other case, is deferred by 6 s');
select is((select tat_us from public.rate_limits where key = 'email:global'), 1800000000000000 + 10 * 600000::bigint,
          'the refused e-mail used none of the global quota');

select results_eq(
  $$ select count(*)::int from generate_series(1, 95) i,
       lateral public.email_rate_limit_take('fan' || i || '@example.org', 1800000000000000) where allowed $$,
  array[90], 'the global limit admits 90 more to other recipients, 100 in all');
select results_eq(
  $$ select allowed, retry_after_us, limited_by from public.email_rate_limit_take('new@example.net', 1800000000000000) $$,
  $$ values (false, 600000::bigint, 'global') $$, 'then everyone waits for the global limit');
select is_empty($$ select 1 from public.rate_limits where key = 'email:to:new@example.net' and tat_us > 0 $$,
                'a global refusal used none of the recipient''s quota');
select results_eq(
  $$ select allowed from public.email_rate_limit_take('new@example.net', 1800000000600000) $$,
  array[true], 'and is admitted once the retry-after has passed');

select throws_ok($$ select public.email_rate_limit_take('not an address') $$, 'UR102', null,
                 'a malformed recipient is refused with UR102');

select * from finish();
rollback;
