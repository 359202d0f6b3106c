// Property tests of webhook verification through the typed API (_shared/wasm.ts), on the wasm
// build the edge functions load: a signed webhook verifies; a change to any one byte of the
// body, the header, the id or the timestamp is refused; and whatever strings and bytes arrive,
// verification answers a refusal and never throws.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import {
  signStandard,
  signStripe,
  StandardSignatureVerifier,
  StripeSignatureVerifier,
  type WebhookRefusal,
} from "../edge-functions/_shared/wasm.ts";
import * as core from "../pkg/deno/mod.js";

const refusals = core.webhookRefusals() as WebhookRefusal[];
const body = fc.uint8Array({ maxLength: 300 });
const seconds = fc.integer({ min: 0, max: 4_000_000_000 });
const stripeSecret = fc.stringMatching(/^whsec_[A-Za-z0-9]{1,48}$/);
const standardSecret = fc.uint8Array({ minLength: 1, maxLength: 64 })
  .map((key) => `whsec_${btoa(String.fromCharCode(...key))}`);
// Ids as Svix writes them, and any other printable ASCII a header can carry.
const messageId = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
// Where to change a byte, and what to XOR it with (never 0, so it always changes).
const change = fc.record({ at: fc.nat(), by: fc.integer({ min: 1, max: 255 }) });
// A header is ASCII, so a changed byte is kept printable ASCII (0x20–0x7e) and distinct.
const asciiChange = fc.record({ at: fc.nat(), to: fc.integer({ min: 0x20, max: 0x7e }) });

function flipped(bytes: Uint8Array, { at, by }: { at: number; by: number }): Uint8Array {
  if (bytes.length === 0) return Uint8Array.of(by);
  const out = bytes.slice();
  out[at % out.length] ^= by;
  return out;
}

function changedText(text: string, { at, to }: { at: number; to: number }): string {
  const i = at % text.length;
  const c = String.fromCharCode(to === text.charCodeAt(i) ? (to === 0x7e ? 0x20 : to + 1) : to);
  return text.slice(0, i) + c + text.slice(i + 1);
}

Deno.test("a signed Stripe webhook verifies, and one changed byte anywhere is refused", () => {
  fc.assert(
    fc.property(body, stripeSecret, seconds, change, asciiChange, (payload, secret, t, bodyChange, headerChange) => {
      const verifier = new StripeSignatureVerifier([secret]);
      const header = signStripe(payload, secret, t);
      assert.deepEqual(verifier.verify(payload, header, t), { ok: true, timestamp: t });
      assert.equal(verifier.verify(flipped(payload, bodyChange), header, t).ok, false);
      const changed = changedText(header, headerChange);
      assert.equal(verifier.verify(payload, changed, t).ok, false, changed);
    }),
    { numRuns: 300 },
  );
});

Deno.test("a signed Standard webhook verifies, and one changed byte anywhere is refused", () => {
  fc.assert(
    fc.property(
      body,
      standardSecret,
      messageId,
      seconds,
      change,
      asciiChange,
      (payload, secret, id, t, bodyChange, textChange) => {
        const verifier = new StandardSignatureVerifier([secret]);
        const ts = String(t);
        const signature = signStandard(id, t, payload, secret);
        assert.deepEqual(verifier.verify(id, ts, signature, payload, t), { ok: true });
        assert.equal(verifier.verify(id, ts, signature, flipped(payload, bodyChange), t).ok, false);
        const [id2, ts2, sig2] = [id, ts, signature].map((s) => changedText(s, textChange));
        assert.equal(verifier.verify(id2, ts, signature, payload, t).ok, false, id2);
        assert.equal(verifier.verify(id, ts2, signature, payload, t).ok, false, ts2);
        assert.equal(verifier.verify(id, ts, sig2, payload, t).ok, false, sig2);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("any strings and bytes are answered with a refusal, never a throw", () => {
  const stripe = new StripeSignatureVerifier(["whsec_test_secret"]);
  const standard = new StandardSignatureVerifier(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);
  const text = fc.string({ unit: "binary", maxLength: 200 });
  const now = fc.maxSafeInteger();
  fc.assert(
    fc.property(text, text, text, fc.uint8Array({ maxLength: 200 }), now, (a, b, c, payload, nowSeconds) => {
      for (
        const verdict of [
          stripe.verify(payload, a, nowSeconds),
          standard.verify(a, b, c, payload, nowSeconds),
          standard.verify(a, String(nowSeconds), c, payload, nowSeconds),
        ]
      ) {
        assert.equal(verdict.ok, false);
        if (!verdict.ok) assert.ok(refusals.includes(verdict.reason), verdict.reason);
      }
    }),
    { numRuns: 1000 },
  );
});
