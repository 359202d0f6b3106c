// Every answer the scanner can give, in-process against the real database. The clock is
// injected, so freshness is tested on both sides of both limits without waiting.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { logger } from "../_shared/log.ts";
import { scannerLimits } from "../_shared/ratelimit/named.ts";
import { RefusalLimit } from "./refusals.ts";
import { PostgresStore } from "../_shared/ratelimit/postgres.ts";
import { HttpError } from "../_shared/http.ts";
import { reissuePrintCode } from "../_shared/tickets.ts";
import { liveIat, QrKeys, signLive } from "../_shared/wasm.ts";
import { createEvent, createLegacyTicket, createTicket, type EventFixture } from "../../tests/support/fixtures.ts";
import * as base64url from "../../tests/support/base64url.ts";
import { dbUrl, jwtSecret, userJwt } from "../../tests/support/stack.ts";
import { handleScan } from "./handler.ts";
import { ScanRecorder } from "./recorder.ts";

const sql = connect(dbUrl, 4);
const auth = new Authenticator(jwtSecret);
const recorder = new ScanRecorder(connect(dbUrl, 1), sql);
const store = new PostgresStore(sql);
// The production quota under a name of this run, so no other test shares its keys.
const refusalLimit = {
  ...scannerLimits(() => undefined).refusals,
  name: `t${crypto.randomUUID().slice(0, 8)}-refused`,
};
const refusals = new RefusalLimit(store, refusalLimit);
/** A QR_SIGNING_KEYS entry whose 32 key bytes are all `byte`. */
const testKey = (kid: string, byte: number) => `${kid}:${base64url.encode(new Uint8Array(32).fill(byte))}`;
const keyA = testKey("ka", 7);
const keyB = testKey("kb", 9);
const keyForged = testKey("ka", 3);
const keys = new QrKeys(keyA);
/** Answered scans per event, to check the log holds every attempt. */
const answered = new Map<string, number>();
const T0 = 1_800_000_000;
async function scan(
  f: EventFixture,
  code: string,
  opts: {
    now?: number;
    device?: string;
    ring?: QrKeys;
    as?: string;
    body?: unknown;
    refusals?: RefusalLimit;
    lines?: string[];
  } = {},
) {
  const ctx = { requestId: "t", log: logger({}, (l) => opts.lines?.push(l)), headers: new Headers() };
  const token = await userJwt(opts.as ?? f.scannerId);
  const req = new Request("http://x/scanner-validate", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(opts.body ?? { code, event_id: f.eventId, device_id: opts.device ?? "door-1" }),
  });
  const deps = {
    recorder,
    auth,
    refusals: opts.refusals ?? refusals,
    keys: opts.ring ?? keys,
    now: () => opts.now ?? T0,
  };
  const res = await handleScan(req, deps, ctx);
  answered.set(f.eventId, (answered.get(f.eventId) ?? 0) + 1);
  return await res.json();
}

function liveCode(f: EventFixture, ticketId: string, iat: number): string {
  const { kid, key } = keys.displayKey(ticketId, f.eventId);
  return signLive(key, kid, ticketId, f.eventId, iat);
}

Deno.test("scanner results", async (t) => {
  const f = await createEvent(sql);

  await t.step(
    "a valid print code redeems, the same device within 10 s is a rescan, another door is refused",
    async () => {
      const { ticketId, code } = await createTicket(sql, keys, f, T0);
      const first = await scan(f, code);
      assert.equal(first.result, "redeemed");
      assert.equal(first.ticket_id, ticketId);
      const again = await scan(f, code);
      assert.equal(again.result, "rescan");
      assert.equal(again.first_scan.device_id, "door-1");
      const other = await scan(f, code, { device: "door-2" });
      assert.equal(other.result, "already_redeemed");
      assert.deepEqual(other.first_scan, { at: first.redeemed_at, device_id: "door-1" });
    },
  );

  await t.step("the same device after 10 s is no longer a rescan", async () => {
    const { ticketId, code } = await createTicket(sql, keys, f, T0);
    assert.equal((await scan(f, code)).result, "redeemed");
    await sql`update public.tickets set redeemed_at = redeemed_at - interval '11 seconds' where id = ${ticketId}`;
    assert.equal((await scan(f, code)).result, "already_redeemed");
  });

  await t.step("live codes: fresh within 300 s back and 60 s ahead, refused one second beyond", async () => {
    const { ticketId } = await createTicket(sql, keys, f, T0);
    const iat = liveIat(T0);
    const code = liveCode(f, ticketId, iat);
    assert.equal((await scan(f, code, { now: iat + 301 })).result, "expired");
    assert.equal((await scan(f, code, { now: iat - 61 })).result, "not_yet_valid");
    assert.equal((await scan(f, code, { now: iat - 60 })).result, "redeemed");
    const { ticketId: t2 } = await createTicket(sql, keys, f, T0);
    assert.equal((await scan(f, liveCode(f, t2, iat), { now: iat + 300 })).result, "redeemed");
  });

  await t.step("forged, tampered and malformed codes are refused", async () => {
    const { code } = await createTicket(sql, keys, f, T0);
    // A middle character of the MAC: every bit of it counts, so the text stays canonical.
    const i = code.length - 5;
    const tampered = code.slice(0, i) + (code[i] === "A" ? "B" : "A") + code.slice(i + 1);
    assert.equal((await scan(f, tampered)).result, "invalid_signature");
    // The right key id with the wrong key: what an attacker who guesses the format can make.
    const forged = new QrKeys(keyForged).signPrint(crypto.randomUUID(), f.eventId, T0);
    assert.equal((await scan(f, forged)).result, "invalid_signature");
    assert.equal((await scan(f, "v1.p.ka.")).result, "malformed");
    assert.equal((await scan(f, "DROP TABLE tickets;")).result, "malformed");
    assert.equal((await scan(f, code + ".extra")).result, "malformed");
  });

  await t.step("key rotation: the old key verifies while in the ring, a retired key verifies nothing", async () => {
    const { code } = await createTicket(sql, keys, f, T0); // signed by ka
    const rotated = new QrKeys(`${keyB},${keyA}`);
    assert.equal(rotated.activeKid, "kb");
    assert.equal((await scan(f, code, { ring: rotated })).result, "redeemed");
    const { code: old } = await createTicket(sql, keys, f, T0);
    assert.equal((await scan(f, old, { ring: new QrKeys(keyB) })).result, "unknown_key");
  });

  await t.step("a genuine code scanned at another event is wrong_event, not a forgery", async () => {
    const other = await createEvent(sql);
    await sql`insert into public.event_staff (event_id, user_id, role) values (${other.eventId}, ${f.scannerId}, 'scanner')`;
    const { code } = await createTicket(sql, keys, f, T0);
    const res = await scan({ ...other, scannerId: f.scannerId }, code);
    assert.equal(res.result, "wrong_event");
  });

  await t.step("a re-issued print code revokes the old one", async () => {
    const { ticketId, code } = await createTicket(sql, keys, f, T0);
    const fresh = await reissuePrintCode(sql, keys, ticketId, T0 + 5);
    assert.notEqual(fresh, code);
    assert.equal((await scan(f, code)).result, "revoked");
    assert.equal((await scan(f, fresh)).result, "redeemed");
  });

  await t.step("re-issuing a legacy ticket's code retires its 8-character code too", async () => {
    const legacy = await createLegacyTicket(sql, f);
    const fresh = await reissuePrintCode(sql, keys, legacy.ticketId, T0);
    assert.equal((await scan(f, legacy.code)).result, "not_found");
    assert.equal((await scan(f, fresh)).result, "redeemed");
  });

  await t.step("the rescan window is 10 s from the admission: 9 s is a rescan, 10 s is not", async () => {
    for (const [ago, expected] of [[9, "rescan"], [10, "already_redeemed"]] as const) {
      const { ticketId, code } = await createTicket(sql, keys, f, T0);
      assert.equal((await scan(f, code)).result, "redeemed");
      await sql`update public.tickets set redeemed_at = redeemed_at - make_interval(secs => ${ago}) where id = ${ticketId}`;
      assert.equal((await scan(f, code)).result, expected, `${ago} s after admission`);
    }
  });

  await t.step("a validly signed code for a ticket that does not exist is not_found", async () => {
    assert.equal((await scan(f, keys.signPrint(crypto.randomUUID(), f.eventId, T0))).result, "not_found");
  });

  await t.step("cancelled tickets are revoked", async () => {
    const { ticketId, code } = await createTicket(sql, keys, f, T0);
    await sql`update public.tickets set status = 'cancelled' where id = ${ticketId}`;
    assert.equal((await scan(f, code)).result, "revoked");
  });

  await t.step("every attempt is in the scan log", async () => {
    const [{ n }] = await sql<
      { n: number }[]
    >`select count(*)::int as n from public.ticket_scans where event_id = ${f.eventId}`;
    assert.equal(n, answered.get(f.eventId));
    assert.ok(n >= 20);
  });
});

Deno.test("legacy codes follow the event's setting", async () => {
  const allowing = await createEvent(sql, { allowLegacyCodes: true });
  const legacy = await createLegacyTicket(sql, allowing);
  assert.equal((await scan(allowing, legacy.code)).result, "redeemed");
  const [{ code_kind }] = await sql`select code_kind from public.ticket_scans where ticket_id = ${legacy.ticketId}`;
  assert.equal(code_kind, "legacy");

  const refusing = await createEvent(sql, { allowLegacyCodes: false });
  const old = await createLegacyTicket(sql, refusing);
  assert.equal((await scan(refusing, old.code)).result, "legacy_code_disabled");
  assert.equal((await scan(refusing, "ZZZZ9999")).result, "legacy_code_disabled");
  assert.equal((await scan(allowing, "ZZZZ9999")).result, "not_found");
});

Deno.test("an event that requires live codes refuses print codes", async () => {
  const f = await createEvent(sql, { requireLiveCodes: true });
  const { ticketId, code } = await createTicket(sql, keys, f, T0);
  assert.equal((await scan(f, code)).result, "live_code_required");
  assert.equal((await scan(f, liveCode(f, ticketId, liveIat(T0)))).result, "redeemed");
});

Deno.test("bad requests get a 400 naming the field, strangers a 403", async () => {
  const f = await createEvent(sql);
  const bad = [
    [{ event_id: f.eventId, device_id: "d" }, "code"],
    [{ code: "", event_id: f.eventId, device_id: "d" }, "code"],
    [{ code: "x".repeat(513), event_id: f.eventId, device_id: "d" }, "code"],
    [{ code: "ABCD1234", event_id: "not-a-uuid", device_id: "d" }, "event_id"],
    [{ code: "ABCD1234", event_id: f.eventId, device_id: "door 1" }, "device_id"],
    [{ code: "ABCD1234", event_id: f.eventId, device_id: 7 }, "device_id"],
  ] as const;
  for (const [body, field] of bad) {
    await assert.rejects(scan(f, "", { body }), (e: { status: number; code: string; field: string }) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, "invalid_field");
      assert.equal(e.field, field);
      return true;
    });
  }
  const oversized = { code: "ABCD1234", event_id: f.eventId, device_id: "d", padding: "x".repeat(4096) };
  await assert.rejects(scan(f, "", { body: oversized }), (e: { status: number; code: string }) => {
    assert.equal(e.status, 413);
    assert.equal(e.code, "body_too_large");
    return true;
  });
  const lines: string[] = [];
  await assert.rejects(scan(f, "ABCD1234", { as: f.holderId, lines }), (e: { status: number }) => e.status === 403);
  assert.match(lines.join("\n"), new RegExp(`"scan refused".*"scanner":"${f.holderId}".*"reason":"forbidden"`));
});

/** A refusal limit of three a minute under a name of its own, for one test. */
function tightRefusals(): RefusalLimit {
  const name = `t${crypto.randomUUID().slice(0, 8)}-tight`;
  return new RefusalLimit(store, { ...refusalLimit, name, quota: { count: 3, periodUs: 60_000_000, burst: 3 } });
}

Deno.test("a stranger's refused scans are counted; past the limit a 429 comes before anything is read", async () => {
  const f = await createEvent(sql);
  const tight = tightRefusals();
  const lines: string[] = [];
  const { code } = await createTicket(sql, keys, f, T0);
  for (let i = 0; i < 4; i++) {
    await assert.rejects(scan(f, code, { as: f.holderId, refusals: tight, lines }), (e: HttpError) => e.status === 403);
  }
  // A body that would be a 400 if it were read: the 429 comes first.
  await assert.rejects(
    scan(f, code, { as: f.holderId, refusals: tight, body: { not: "a scan" } }),
    (e: HttpError) => {
      assert.equal(e.status, 429);
      assert.ok(Number(new Headers(e.headers).get("retry-after")) >= 1);
      assert.match(new Headers(e.headers).get("ratelimit-policy")!, /-tight";q=3;w=60/);
      return true;
    },
  );
  const log = lines.join("\n");
  assert.match(log, new RegExp(`"scan refused".*"scanner":"${f.holderId}".*"reason":"forbidden"`));
  assert.match(log, new RegExp(`"scanner account out of refused scans".*"scanner":"${f.holderId}"`));
  assert.equal((await scan(f, code, { refusals: tight })).result, "redeemed", "the door's own account is not held");
});

Deno.test("a door scanning genuine tickets as fast as it can is never refused", async () => {
  const f = await createEvent(sql);
  const tight = tightRefusals();
  for (let i = 0; i < 40; i++) {
    const { code } = await createTicket(sql, keys, f, T0);
    assert.equal((await scan(f, code, { refusals: tight })).result, "redeemed");
    assert.equal((await scan(f, code, { refusals: tight, device: "door-2" })).result, "already_redeemed");
  }
});

Deno.test("forged and malformed codes count against the caller; bad requests too", async () => {
  const f = await createEvent(sql);
  const tight = tightRefusals();
  assert.equal((await scan(f, "v1.p.garbage", { refusals: tight })).result, "malformed");
  assert.equal((await scan(f, "not a code", { refusals: tight })).result, "malformed");
  await assert.rejects(scan(f, "", { refusals: tight, body: { code: 7 } }), (e: HttpError) => e.status === 400);
  // The fourth refusal is one more than the three a minute: it is answered, then held.
  assert.equal((await scan(f, "v1.l.forged", { refusals: tight })).result, "malformed");
  await assert.rejects(scan(f, "x", { refusals: tight }), (e: HttpError) => e.status === 429);
});

Deno.test("tear down the pool", async () => {
  await recorder.end();
});
