// Rate limiting's walk-through: a burst of checkouts meets the per-user limit with the
// standard headers, a push flood is held to its quota, and the e-mail limiter defers, never
// drops. Each step uses a user of its own and removes it, with what it made, afterwards.
import postgres from "npm:postgres@3.4.9";
import { fn, functionsUrl, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";

const planetarium = "10000000-0000-4000-8000-000000000001";

/** A throwaway user for one step, so each run starts with full quotas. */
export async function withDemoUser<T>(f: (userId: string, sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(stackEnv.SUPABASE_DB_URL, { max: 1, onnotice: () => {} });
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${`demo-${userId.slice(0, 8)}@usher.example`})`;
  try {
    return await f(userId, sql);
  } finally {
    await sql`delete from public.checkout_requests where user_id = ${userId}`;
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
        // The per-IP limit keys on the address the gateway sees the request come from, so
        // the demo connects from a loopback address of its own per run, and reruns start afresh.
        const b = crypto.getRandomValues(new Uint8Array(2));
        const client = Deno.createHttpClient({ localAddress: `127.77.${b[0]}.${1 + (b[1] % 254)}` });
        const statuses: number[] = [];
        let last: Response | undefined;
        for (let i = 1; i <= 7; i++) {
          last = await fetch(`${functionsUrl}/create-checkout`, {
            client,
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ event_id: planetarium, quantity: 1 }),
          });
          const body = await last.json();
          statuses.push(last.status);
          const extra = last.status === 429 ? `  retry-after: ${last.headers.get("retry-after")}` : "";
          say(`#${i} → ${last.status}  ratelimit: ${last.headers.get("ratelimit")}${extra}`);
          if (last.status !== 201) say(`     ${JSON.stringify(body)}`);
        }
        client.close();
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
    title: "e-mail: the limiter asked for 12 messages to one recipient admits 10 and defers 2",
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
        say(`email_rate_limit_take × 12 → ${outcomes.join(", ")}`);
        expect(outcomes.filter((o) => o === "send").length === 10, "expected exactly 10 sends");
        return "10 may go now, 2 wait for their retry-after (the e-mail queue asks the same limits, below)";
      } finally {
        await sql`delete from public.rate_limits where key = ${`email:to:${recipient}`}`;
        await sql.end();
      }
    },
  },
];
