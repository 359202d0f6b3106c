// Rate limiting's walk-through: a burst of checkouts meets the per-user limit with the
// standard headers, a push flood is held to its quota, and e-mails are deferred, not lost.
import postgres from "npm:postgres@3.4.9";
import { fn, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";

const planetarium = "10000000-0000-4000-8000-000000000001";

/** A throwaway user for one step, so each run starts with full quotas. */
async function withDemoUser<T>(f: (userId: string, sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(stackEnv.SUPABASE_DB_URL, { max: 1, onnotice: () => {} });
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${`demo-${userId.slice(0, 8)}@usher.example`})`;
  try {
    return await f(userId, sql);
  } finally {
    await sql`delete from public.orders where user_id = ${userId}`;
    await sql`delete from auth.users where id = ${userId}`;
    await sql.end();
  }
}

export const rateLimitSteps: Step[] = [
  {
    title: "a burst of 7 checkouts by one user: 5 reach Stripe, then 429 with Retry-After and RateLimit",
    run: (say) =>
      withDemoUser(async (userId) => {
        const token = await userJwt(userId);
        // A documentation address (RFC 5737) of its own per run, so reruns start afresh.
        const ip = `198.51.100.${1 + Math.floor(Math.random() * 254)}`;
        const statuses: number[] = [];
        let last: Response | undefined;
        for (let i = 1; i <= 7; i++) {
          last = await fn("create-checkout", {
            method: "POST",
            headers: { "content-type": "application/json", "x-forwarded-for": ip },
            body: JSON.stringify({ event_id: planetarium, quantity: 1 }),
          }, token);
          const body = await last.json();
          statuses.push(last.status);
          const extra = last.status === 429 ? `  retry-after: ${last.headers.get("retry-after")}` : "";
          say(`#${i} → ${last.status}  ratelimit: ${last.headers.get("ratelimit")}${extra}`);
          if (last.status !== 201) say(`     ${JSON.stringify(body)}`);
        }
        say(`ratelimit-policy: ${last!.headers.get("ratelimit-policy")}`);
        expect(statuses.join() === "201,201,201,201,201,429,429", `statuses were ${statuses.join()}`);
        return `5 × 201 then 429, retry after ${last!.headers.get("retry-after")} s`;
      }),
  },
  {
    title: "a flood of 40 pushes to one user at once is held to 10 per hour, every attempt tracked",
    run: (say) =>
      withDemoUser(async (userId, sql) => {
        const responses = await Promise.all(Array.from({ length: 40 }, (_, i) =>
          fn("send-push", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ user_id: userId, token: "ExponentPushToken[demo]", title: `Flood #${i}`, body: "" }),
          }, stackEnv.SUPABASE_SERVICE_ROLE_KEY)));
        await Promise.all(responses.map((r) => r.body?.cancel()));
        const sent = responses.filter((r) => r.status === 200).length;
        const limited = responses.filter((r) => r.status === 429).length;
        say(`40 concurrent POST /send-push → ${sent} × 200, ${limited} × 429`);
        const rows = await sql`select status, count(*)::int as n from public.push_deliveries
                               where user_id = ${userId} group by status order by status`;
        say(`push_deliveries: ${rows.map((r) => `${r.status} ${r.n}`).join(", ")}`);
        expect(sent === 10 && limited === 30, `expected 10 sent and 30 limited, got ${sent} and ${limited}`);
        return "10 sent, 30 refused and recorded as rate_limited";
      }),
  },
  {
    title: "e-mail: 12 messages to one recipient: 10 go out, 2 are deferred by their retry-after",
    async run(say) {
      const sql = postgres(stackEnv.SUPABASE_DB_URL, { max: 1, onnotice: () => {} });
      const recipient = `demo-${crypto.randomUUID().slice(0, 8)}@example.com`;
      try {
        const outcomes: string[] = [];
        for (let i = 0; i < 12; i++) {
          const [r] = await sql`select * from public.email_rate_limit_take(${recipient})`;
          outcomes.push(
            r.allowed ? "send" : `defer ${(Number(r.retry_after_us) / 1e6).toFixed(1)} s (${r.limited_by})`,
          );
        }
        say(outcomes.join(", "));
        expect(outcomes.filter((o) => o === "send").length === 10, "expected exactly 10 sends");
        return "10 sent, 2 deferred by the per-recipient limit";
      } finally {
        await sql`delete from public.rate_limits where key = ${`email:to:${recipient}`}`;
        await sql.end();
      }
    },
  },
];
