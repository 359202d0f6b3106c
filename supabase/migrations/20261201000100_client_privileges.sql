-- Client roles get nothing by default. Supabase's default privileges give anon and
-- authenticated everything on every new table, sequence and function in public; the
-- migrations so far revoked table and function rights one by one but never sequence
-- rights, so a client could `setval` the scan log's id sequence and make every later scan
-- fail. From here on a new table or sequence is closed to the client roles until a
-- migration grants what it means to expose (a new function still lets PUBLIC execute it,
-- see below), and supabase/tests/004_client_privileges.sql checks over the catalog that no
-- client role holds a right on any sequence, may write any table, or may call any function
-- in public.

-- Sequences already made: clients never need one, since every insert happens inside a
-- security-definer function, which draws ids with its owner's rights.
revoke all on all sequences in schema public from anon, authenticated, public;

-- Objects made from now on by the role that runs the migrations.
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated;
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated;
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated;
-- PostgreSQL itself lets PUBLIC execute every new function, a default that cannot be
-- revoked per schema (and revoking it globally would close extensions' functions too), so
-- each function's migration revokes it, and the catalog test finds any that does not.
