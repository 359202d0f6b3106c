// The per-IP checkout limit through the gateway, from real loopback peers: the gateway
// appends the peer's address to X-Forwarded-For as the hosted edge does, and the function
// keys on that entry, so a client that varies the header keeps its bucket while another
// peer has its own (docs/client-ip.md).
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { dbUrl, functionsUrl, userJwt } from "./support/stack.ts";

const planetarium = "10000000-0000-4000-8000-000000000001";

/** A loopback address of this run's own (any of 127.0.0.0/8 reaches the gateway). */
function freshPeer(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `127.${b[0]}.${b[1]}.${1 + (b[2] % 254)}`;
}

/** Checkouts sent from the socket address `peer`, each claiming to be from `claimed`. */
function checkoutFrom(peer: string) {
  const client = Deno.createHttpClient({ localAddress: peer });
  return {
    send: async (token: string, claimed: string) => {
      const res = await fetch(`${functionsUrl}/create-checkout`, {
        client,
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-forwarded-for": claimed },
        body: JSON.stringify({ event_id: planetarium, quantity: 1 }),
      });
      return { status: res.status, body: await res.json() };
    },
    close: () => client.close(),
  };
}

Deno.test("a client that varies X-Forwarded-For keeps one per-IP bucket; another peer has its own", async () => {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  // Five users, so the per-user limit (5 a minute) is not what refuses the 21st checkout.
  const users = Array.from({ length: 5 }, () => crypto.randomUUID());
  await sql`insert into auth.users ${sql(users.map((id) => ({ id, email: `${id}@test.example` })))}`;
  const one = checkoutFrom(freshPeer()), other = checkoutFrom(freshPeer());
  try {
    const tokens = await Promise.all(users.map((u) => userJwt(u)));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await one.send(tokens[Math.floor(i / 5)], `203.0.113.${i + 1}`)).status);
    }
    assert.deepEqual(statuses, Array(20).fill(201));
    // The 21st claims yet another address, from the same peer: the per-IP limit (20) refuses it.
    const refused = await one.send(tokens[4], "198.51.100.99");
    assert.equal(refused.status, 429);
    assert.match(refused.body.error.message, /checkout-ip limit/);
    // The same user from a different peer is admitted: the bucket follows the real address.
    assert.equal((await other.send(tokens[4], "198.51.100.99")).status, 201);
  } finally {
    one.close();
    other.close();
    await sql`delete from public.orders where user_id in ${sql(users)}`;
    await sql`delete from auth.users where id in ${sql(users)}`;
    await sql.end();
  }
});
