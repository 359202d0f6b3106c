// The holder's phone gets a display key, signs live codes with it offline, and a door
// admits them; nobody else gets the key.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { HttpError } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";
import { liveIat, QrKeys, signLive } from "../_shared/wasm.ts";
import { createEvent, createTicket } from "../../tests/support/fixtures.ts";
import { dbUrl, jwtSecret, qrSigningKeys, userJwt } from "../../tests/support/stack.ts";
import { handleDisplayKey } from "./handler.ts";

const keys = new QrKeys(qrSigningKeys);
const ctx = { requestId: "t", log: logger({}, () => {}), headers: new Headers() };

async function ask(sql: ReturnType<typeof connect>, user: string, ticketId: string): Promise<Response> {
  const req = new Request(`http://x/ticket-display-key?ticket_id=${ticketId}`, {
    headers: { authorization: `Bearer ${await userJwt(user)}` },
  });
  return await handleDisplayKey(req, { sql, auth: new Authenticator(jwtSecret), keys }, ctx);
}

async function status(p: Promise<Response>): Promise<number> {
  try {
    return (await p).status;
  } catch (e) {
    assert.ok(e instanceof HttpError);
    return e.status;
  }
}

Deno.test("the owner gets a display key whose live codes verify for their ticket only", async () => {
  const sql = connect(dbUrl, 1);
  try {
    const f = await createEvent(sql);
    const { ticketId } = await createTicket(sql, keys, f);
    const res = await ask(sql, f.holderId, ticketId);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = await res.json();
    assert.equal(body.step_seconds, 30);
    const now = Math.floor(Date.now() / 1000);
    const live = signLive(body.key, body.kid, ticketId, f.eventId, liveIat(now));
    assert.deepEqual(keys.verify(live, f.eventId, now), { ok: true, kind: "live", ticketId });
    // The same display key cannot vouch for a different ticket.
    const other = signLive(body.key, body.kid, crypto.randomUUID(), f.eventId, liveIat(now));
    assert.deepEqual(keys.verify(other, f.eventId, now), { ok: false, reason: "invalid_signature" });
  } finally {
    await sql.end();
  }
});

Deno.test("anyone but the owner gets 404, a bad id 400, a cancelled ticket 409", async () => {
  const sql = connect(dbUrl, 1);
  try {
    const f = await createEvent(sql);
    const { ticketId } = await createTicket(sql, keys, f);
    assert.equal(await status(ask(sql, f.scannerId, ticketId)), 404);
    assert.equal(await status(ask(sql, f.holderId, crypto.randomUUID())), 404);
    assert.equal(await status(ask(sql, f.holderId, "nope")), 400);
    await sql`update public.tickets set status = 'cancelled' where id = ${ticketId}`;
    assert.equal(await status(ask(sql, f.holderId, ticketId)), 409);
  } finally {
    await sql.end();
  }
});
