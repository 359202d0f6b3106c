// The foundation's walk-through: the stack answers, the gateway guards, RLS holds.
import postgres from "npm:postgres@3.4.9";
import { fn, seedUsers, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";

export const foundationSteps: Step[] = [
  {
    title: "health answers through the gateway, with the wasm core loaded",
    async run(say) {
      const res = await fn("health");
      const body = await res.json();
      say(`GET /functions/v1/health → ${res.status} ${JSON.stringify(body)}`);
      expect(res.status === 200 && body.status === "ok", "health is not ok");
      return `database ${body.checks.database}, core ${body.core}`;
    },
  },
  {
    title: "the gateway refuses a call without a JWT where verify_jwt is on",
    async run(say) {
      const res = await fn("whoami");
      const body = await res.json();
      say(`GET /functions/v1/whoami (no token) → ${res.status} ${JSON.stringify(body)}`);
      expect(res.status === 401, `expected 401, got ${res.status}`);
      return "401 with a JSON error";
    },
  },
  {
    title: "a signed-in door scanner is recognised, with their staff role",
    async run(say) {
      const res = await fn("whoami", {}, await userJwt(seedUsers.doorNorth));
      const body = await res.json();
      say(`GET /functions/v1/whoami (door-north's JWT) → ${res.status} ${JSON.stringify(body)}`);
      expect(body.user_id === seedUsers.doorNorth && body.staff.length >= 1, "door-north not recognised");
      return `user ${body.user_id} is ${body.staff[0].role} for ${body.staff.length} event(s)`;
    },
  },
  {
    title: "row level security: each user sees only their own tickets",
    async run(say) {
      const sql = postgres(stackEnv.SUPABASE_DB_URL, { max: 1, onnotice: () => {} });
      try {
        const [{ total }] = await sql`select count(*)::int as total from public.tickets`;
        const seen: string[] = [];
        for (const [name, id] of [["ada", seedUsers.ada], ["grace", seedUsers.grace]] as const) {
          const [row] = await sql.begin(async (tx) => {
            await tx`select set_config('request.jwt.claims', ${
              JSON.stringify({ sub: id, role: "authenticated" })
            }, true)`;
            await tx`set local role authenticated`;
            return await tx`select count(*)::int as n, count(*) filter (where user_id <> ${id})::int as others
              from public.tickets`;
          });
          say(`as ${name}: select count(*) from tickets → ${row.n} (of ${total} in all)`);
          expect(row.n > 0 && row.others === 0, `RLS showed ${name} ${row.others} tickets of other people`);
          seen.push(`${name} sees ${row.n}`);
        }
        return `${seen.join(", ")}, of ${total} tickets in all; none of anyone else's`;
      } finally {
        await sql.end();
      }
    },
  },
];
