// A flood of scanner-validate by someone who is not staff, through the gateway, while a door
// keeps scanning: the stranger is held to a trickle of refused scans, the door is never
// refused.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { QrKeys } from "../edge-functions/_shared/wasm.ts";
import { createEvent, createTicket } from "./support/fixtures.ts";
import { dbUrl, fn, qrSigningKeys, userJwt } from "./support/stack.ts";

const keys = new QrKeys(qrSigningKeys);
const flood = 4000;
const inFlight = 64;

function scan(token: string, code: string, eventId: string, deviceId: string): Promise<Response> {
  return fn("scanner-validate", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, event_id: eventId, device_id: deviceId }),
  }, token);
}

Deno.test("4,000 scans by a stranger are held back while a door's scans all go through", async () => {
  const sql = connect(dbUrl, 2);
  try {
    const f = await createEvent(sql);
    const { code: bait } = await createTicket(sql, keys, f);
    const stranger = await userJwt(f.holderId);
    const door = await userJwt(f.scannerId);
    const statuses = new Map<number, number>();
    let sent = 0;
    const flooder = async () => {
      while (sent < flood) {
        sent++;
        const res = await scan(stranger, bait, f.eventId, "not-a-door");
        await res.body?.cancel();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    const doorResults: string[] = [];
    const doorScans = async () => {
      for (let i = 0; i < 20; i++) {
        const { code } = await createTicket(sql, keys, f);
        const res = await scan(door, code, f.eventId, "door-north");
        assert.equal(res.status, 200, "the door is never refused");
        doorResults.push((await res.json()).result);
      }
    };
    await Promise.all([...Array.from({ length: inFlight }, flooder), doorScans()]);

    assert.deepEqual(doorResults, Array(20).fill("redeemed"));
    const forbidden = statuses.get(403) ?? 0;
    const limited = statuses.get(429) ?? 0;
    assert.equal(forbidden + limited, flood, JSON.stringify([...statuses]));
    // 30 refusals a minute, plus what was in flight when the limit was reached and the odd
    // one every two seconds after: the rest never reached the database.
    assert.ok(forbidden < 30 + inFlight + 60, `${forbidden} scans by the stranger were decided`);
  } finally {
    await sql.end();
  }
});
