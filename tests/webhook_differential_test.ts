// The wasm core's webhook verification (through the typed API in _shared/wasm.ts) against the
// official libraries, stripe@23.1.0 and standardwebhooks@1.1.1, in both directions: what they
// sign we accept and what we sign they accept; and on every case of tests/vectors/webhook.json
// their accept-or-refuse verdict is ours, except in the cases listed in `differences` below,
// each where a rule of ours (crates/usher-webhook's documentation) is stricter than theirs.
// The list is checked both ways: a listed case must really differ, so it cannot go stale.
// Deno loads Stripe's worker build, whose default crypto is SubtleCrypto, so its headers come
// from generateTestHeaderStringAsync: the synchronous generateTestHeaderString throws there.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import { Webhook } from "npm:standardwebhooks@1.1.1";
import Stripe from "npm:stripe@23.1.0";
import {
  signStandard,
  signStripe,
  StandardSignatureVerifier,
  StripeSignatureVerifier,
} from "../edge-functions/_shared/wasm.ts";

const vectors = JSON.parse(Deno.readTextFileSync(new URL("./vectors/webhook.json", import.meta.url)));
const encoder = new TextEncoder();
const subtle = Stripe.createSubtleCryptoProvider();
const tolerance: number = vectors.tolerance_s;

/** The cases where the library accepts and we refuse, by scheme and case name, with the rule that refuses. */
const differences: Record<"stripe" | "standard", Record<string, string>> = {
  stripe: {
    // Stripe's library checks only the age; a signed request dated ahead could be replayed
    // until its date, and Stripe signs each delivery as it sends it.
    "301_s_ahead": "future timestamps are refused beyond the tolerance",
    // The library keeps the last `t=`; two timestamps leave it ambiguous which was signed.
    "two_t": "a second t= is a malformed header",
  },
  standard: {
    // The library reads the timestamp with parseInt and signs the number it read, so
    // "1614265330 " passes with the signature of "1614265330"; we sign the header as sent.
    "timestamp_with_a_trailing_space": "a timestamp is ASCII digits only",
  },
};

function refuses(build: () => unknown): boolean {
  try {
    build();
    return false;
  } catch (e) {
    assert.ok(e instanceof TypeError);
    return true;
  }
}

// standardwebhooks reads the clock itself; its verdicts are taken at the case's `now`.
function at<T>(nowSeconds: number, run: () => T): T {
  const realNow = Date.now;
  Date.now = () => nowSeconds * 1000;
  try {
    return run();
  } finally {
    Date.now = realNow;
  }
}

async function stripeAccepts(payload: string, header: string, secret: string, nowSeconds: number): Promise<boolean> {
  try {
    await Stripe.webhooks.constructEventAsync(payload, header, secret, tolerance, subtle, nowSeconds * 1000);
    return true;
  } catch (e) {
    if (e instanceof Stripe.errors.StripeSignatureVerificationError) return false;
    throw e;
  }
}

function standardAccepts(
  id: string,
  timestamp: string,
  signature: string,
  payload: string,
  secret: string,
  nowSeconds: number,
): boolean {
  const headers = { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
  try {
    at(nowSeconds, () => new Webhook(secret).verify(payload, headers, { jsonParse: false }));
    return true;
  } catch (e) {
    if (e instanceof Error && e.name === "WebhookVerificationError") return false;
    throw e;
  }
}

Deno.test("on every Stripe case of webhook.json, stripe's verdict is ours but for the listed differences", async () => {
  const differed = new Set<string>();
  for (const v of vectors.stripe) {
    if (v.reason === "bad_secret") {
      // A configuration we refuse at start-up has no verdict; the library refuses each secret we refuse.
      for (const s of v.secrets.filter((s: string) => refuses(() => new StripeSignatureVerifier([s])))) {
        await assert.rejects(Stripe.webhooks.constructEventAsync(v.payload, v.header, s, tolerance, subtle), v.name);
      }
      continue;
    }
    const ours = new StripeSignatureVerifier(v.secrets).verify(encoder.encode(v.payload), v.header, v.now).ok;
    let theirs = false;
    for (const s of v.secrets) theirs ||= await stripeAccepts(v.payload, v.header, s, v.now);
    if (v.name in differences.stripe) {
      assert.deepEqual({ ours, theirs }, { ours: false, theirs: true }, v.name);
      differed.add(v.name);
    } else {
      assert.equal(theirs, ours, v.name);
    }
  }
  assert.deepEqual([...differed].sort(), Object.keys(differences.stripe).sort());
});

Deno.test("on every Standard case of webhook.json, standardwebhooks' verdict is ours but for the listed differences", () => {
  const differed = new Set<string>();
  for (const v of vectors.standard) {
    if (v.reason === "bad_secret") {
      // A configuration we refuse at start-up has no verdict; the library refuses each secret we refuse.
      for (const s of v.secrets.filter((s: string) => refuses(() => new StandardSignatureVerifier([s])))) {
        assert.throws(() => new Webhook(s), v.name);
      }
      continue;
    }
    const ours = new StandardSignatureVerifier(v.secrets)
      .verify(v.id, v.timestamp, v.signature, encoder.encode(v.payload), v.now).ok;
    const theirs = v.secrets.some((s: string) => standardAccepts(v.id, v.timestamp, v.signature, v.payload, s, v.now));
    if (v.name in differences.standard) {
      assert.deepEqual({ ours, theirs }, { ours: false, theirs: true }, v.name);
      differed.add(v.name);
    } else {
      assert.equal(theirs, ours, v.name);
    }
  }
  assert.deepEqual([...differed].sort(), Object.keys(differences.standard).sort());
});

// Any JSON text, since Stripe's library parses the event it verified.
const payload = fc.jsonValue().map((v) => JSON.stringify(v) ?? "null");
const seconds = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 });
const stripeSecret = fc.stringMatching(/^whsec_[A-Za-z0-9]{1,48}$/);
const standardSecret = fc.uint8Array({ minLength: 16, maxLength: 64 })
  .map((key) => `whsec_${btoa(String.fromCharCode(...key))}`);
const messageId = fc.stringMatching(/^msg_[A-Za-z0-9]{1,32}$/);

Deno.test("what stripe signs we accept, and what we sign stripe accepts", async () => {
  await fc.assert(
    fc.asyncProperty(payload, stripeSecret, seconds, async (body, secret, t) => {
      const theirs = await Stripe.webhooks.generateTestHeaderStringAsync({
        payload: body,
        secret,
        timestamp: t,
        cryptoProvider: subtle,
      });
      assert.deepEqual(new StripeSignatureVerifier([secret]).verify(encoder.encode(body), theirs, t), {
        ok: true,
        timestamp: t,
      });
      const ours = signStripe(body, secret, t);
      assert.equal(ours, theirs);
      assert.ok(await stripeAccepts(body, ours, secret, t));
    }),
    { numRuns: 200 },
  );
});

Deno.test("what standardwebhooks signs we accept, and what we sign it accepts", () => {
  fc.assert(
    fc.property(payload, standardSecret, messageId, seconds, (body, secret, id, t) => {
      const theirs = new Webhook(secret).sign(id, new Date(t * 1000), body);
      const verifier = new StandardSignatureVerifier([secret]);
      assert.deepEqual(verifier.verify(id, String(t), theirs, encoder.encode(body), t), { ok: true });
      const ours = signStandard(id, t, body, secret);
      assert.equal(ours, theirs);
      assert.ok(standardAccepts(id, String(t), ours, body, secret, t));
    }),
    { numRuns: 200 },
  );
});
