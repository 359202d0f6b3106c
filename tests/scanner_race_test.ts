// Concurrent doors against the real stack: scans race through the gateway and the
// function's connection pool into Postgres, and each ticket is admitted exactly once.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { QrKeys } from "../edge-functions/_shared/wasm.ts";
import { createEvent, createTicket } from "./support/fixtures.ts";
import { dbUrl, fn, qrSigningKeys, userJwt } from "./support/stack.ts";

const keys = new QrKeys(qrSigningKeys);

async function scanOverHttp(token: string, code: string, eventId: string, deviceId: string) {
  const res = await fn("scanner-validate", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, event_id: eventId, device_id: deviceId }),
  }, token);
  assert.equal(res.status, 200);
  return (await res.json()).result as string;
}

Deno.test("50 concurrent scans of one ticket at 50 doors admit it exactly once", async () => {
  const sql = connect(dbUrl, 2);
  try {
    const f = await createEvent(sql);
    const { ticketId, code } = await createTicket(sql, keys, f);
    const token = await userJwt(f.scannerId);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => scanOverHttp(token, code, f.eventId, `door-${i}`)),
    );
    assert.equal(results.filter((r) => r === "redeemed").length, 1);
    assert.equal(results.filter((r) => r === "already_redeemed").length, 49);
    const [row] = await sql`select count(*)::int as scans, count(*) filter (where result = 'redeemed')::int as admitted
      from public.ticket_scans where ticket_id = ${ticketId}`;
    assert.deepEqual({ ...row }, { scans: 50, admitted: 1 });
  } finally {
    await sql.end();
  }
});

Deno.test("50 concurrent scans of 50 tickets admit all 50", async () => {
  const sql = connect(dbUrl, 2);
  try {
    const f = await createEvent(sql);
    const tickets = [];
    for (let i = 0; i < 50; i++) tickets.push(await createTicket(sql, keys, f));
    const token = await userJwt(f.scannerId);
    const results = await Promise.all(tickets.map((t, i) => scanOverHttp(token, t.code, f.eventId, `door-${i % 4}`)));
    assert.deepEqual(results, Array(50).fill("redeemed"));
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.tickets
      where event_id = ${f.eventId} and redeemed_at is not null`;
    assert.equal(n, 50);
  } finally {
    await sql.end();
  }
});
