// Checks an implementation of the ticket-code API against tests/vectors/qr.json. Used by
// tests/qr_vectors_test.ts for both builds of the core (pkg/deno and pkg/web, each through the
// one typed API), so both answer to the same golden file as the Rust crate.
import { readFileSync } from "node:fs";

export const qrVectors = JSON.parse(readFileSync(new URL("./qr.json", import.meta.url), "utf8"));

const kinds = { p: "print", l: "live" };

/**
 * `api` is `{ ring(signingKeys) → {signPrint, displayKey, verify}, signLive, liveIat }`;
 * `assert` is node:assert/strict. Returns how many checks ran.
 */
export function checkQrVectors(api, assert) {
  let checks = 0;
  for (const t of qrVectors.tickets) {
    const ring = api.ring(t.signing_keys);
    assert.equal(ring.signPrint(t.ticket_id, t.event_id, t.iat), t.print_code, `${t.name}: print code`);
    assert.deepEqual(
      ring.displayKey(t.ticket_id, t.event_id),
      { kid: t.kid, key: t.display_key },
      `${t.name}: display key`,
    );
    for (const live of t.live_codes) {
      assert.equal(api.liveIat(live.now), live.iat, `${t.name}: live iat at ${live.now}`);
      assert.equal(
        api.signLive(t.display_key, t.kid, t.ticket_id, t.event_id, live.iat),
        live.code,
        `${t.name}: live code`,
      );
      checks += 2;
    }
    checks += 2;
  }
  for (const c of qrVectors.verify_cases) {
    const got = api.ring(c.signing_keys).verify(c.code, c.event_id, c.now);
    const want = c.expect === "ok"
      ? { ok: true, kind: kinds[c.kind], ticketId: c.ticket_id }
      : { ok: false, reason: c.expect };
    const gotShape = got.ok ? { ok: true, kind: got.kind, ticketId: got.ticketId } : got;
    assert.deepEqual(gotShape, want, `verify case ${c.name}`);
    checks++;
  }
  return checks;
}
