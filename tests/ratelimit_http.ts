// What the rate-limit tests over HTTP share: a gateway process of their own, with the
// stack's environment and settings of the test's choosing, a user of their own, and the
// checkout they send. Not a test file itself.
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { fakeStripePort } from "./fakes/server.ts";
import { freePort } from "./support/ports.ts";
import { dbUrl, repoRoot } from "./support/stack.ts";

export const planetarium = "10000000-0000-4000-8000-000000000001";
const localDir = Deno.env.get("USHER_LOCAL_DIR") ?? `${repoRoot}.local`;

/** A gateway process with the stack's environment plus `env`, for the length of `f`. */
export async function withGateway(env: Record<string, string>, f: (base: string) => Promise<void>): Promise<void> {
  const port = freePort();
  const overrides = Object.entries({ ...env, USHER_GATEWAY_PORT: String(port) }).map(([k, v]) => `${k}=${v}`);
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      // As tools/local/up.sh starts the stack's gateway, with the overrides applied last.
      'set -a; source "$1/env"; source "$2/tools/local/secrets.env"; set +a; shift 2; ' +
      'exec env "$@" "$DENO" run --allow-all "$ROOT/tools/local/gateway.ts" >>"$LOG" 2>&1',
      "gateway",
      localDir,
      repoRoot,
      ...overrides,
    ],
    env: {
      DENO: Deno.execPath(),
      ROOT: repoRoot,
      LOG: `${localDir}/gateway-flood.log`,
      USHER_FAKE_STRIPE_PORT: String(fakeStripePort),
    },
    stdin: "null",
  }).spawn();
  const base = `http://127.0.0.1:${port}/functions/v1`;
  try {
    // Loading every function takes a few seconds; wait for health, at most two minutes.
    let up = false;
    for (let i = 0; i < 600 && !up; i++) {
      up = await fetch(`${base}/health`).then((r) => (r.body?.cancel(), r.ok), () => false);
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(up, `the gateway did not start; see ${localDir}/gateway-flood.log`);
    await f(base);
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

/** A user of this test alone, removed afterwards with the orders it made. */
export async function withFreshUser(f: (userId: string, sql: postgres.Sql) => Promise<void>): Promise<void> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${userId + "@test.example"})`;
  try {
    await f(userId, sql);
  } finally {
    await sql`delete from public.orders where user_id = ${userId}`;
    await sql`delete from auth.users where id = ${userId}`;
    await sql.end();
  }
}

/**
 * The gateway appends the peer's address to X-Forwarded-For, as the hosted edge does. With
 * two proxies trusted, the address a test request sends is the one the per-IP limit sees,
 * so each test can have a per-IP bucket of its own on loopback.
 */
export const ownAddresses = { TRUSTED_PROXY_HOPS: "2" };

/** One checkout by `token`'s user, sent as from `ip`. */
export function checkout(base: string, token: string, ip: string): Promise<Response> {
  return fetch(`${base}/create-checkout`, {
    method: "POST",
    headers: { "authorization": `Bearer ${token}`, "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify({ event_id: planetarium, quantity: 1 }),
  });
}

export function tally(statuses: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of statuses) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

/** How many Checkout Sessions the fake Stripe created for these orders. */
export async function sessionsFor(orderIds: Set<string>): Promise<number> {
  const recorded: { body: string }[] = await (await fetch(`http://127.0.0.1:${fakeStripePort}/__requests`)).json();
  return recorded.filter((r) => orderIds.has(new URLSearchParams(r.body).get("metadata[order_id]") ?? "")).length;
}
