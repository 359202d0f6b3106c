// One Postgres connection pool per function instance, over SUPABASE_DB_URL (which hosted
// Supabase provides to functions). Functions call SQL functions that do each state change
// in one statement; they never read, modify and write rows from TypeScript.
import postgres from "npm:postgres@3.4.9";

export type Sql = postgres.Sql;

export function connect(url: string, max = 10): Sql {
  return postgres(url, {
    max,
    // Supabase's pooler runs in transaction mode, where prepared statements do not survive.
    prepare: false,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
  });
}
