// tests/vectors/webhook.json replayed through both builds of the wasm core, each bound to the
// one typed API (edge-functions/_shared/core/api.ts): the embedded build as the edge functions
// load it (_shared/wasm.ts) and pkg/web as the browser loads it (web/src/core/usher.ts). Both
// give the same verdicts, reasons and timestamps as the Rust crate. A case whose secrets the
// crate refuses (`bad_secret`) is a configuration the constructor refuses, so it must throw
// there, naming the secret's position and never its value.
import assert from "node:assert/strict";
import type { UsherCore, WebhookRefusal } from "../edge-functions/_shared/core/api.ts";
import * as functions from "../edge-functions/_shared/wasm.ts";
import * as wasm from "../pkg/deno/mod.js";
import { loadCore } from "../web/src/core/usher.ts";

const builds: [string, UsherCore][] = [["edge functions", functions], ["browser", await loadCore()]];

const vectors = JSON.parse(Deno.readTextFileSync(new URL("./vectors/webhook.json", import.meta.url)));
const encoder = new TextEncoder();

/** The verdict a case expects; an accepted Stripe case also carries its signed timestamp. */
function expected(v: { ok: boolean; reason?: WebhookRefusal; timestamp?: number }, stripe: boolean) {
  if (!v.ok) return { ok: false, reason: v.reason };
  return stripe ? { ok: true, timestamp: v.timestamp } : { ok: true };
}

/** Asserts that building a verifier from `secrets` throws a TypeError that names a position and no secret. */
function assertRefusedConfiguration(build: () => unknown, secrets: string[]) {
  assert.throws(build, (e: unknown) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /^secrets\[\d+\] is not a usable signing secret$/);
    for (const s of secrets) if (s.length > "whsec_".length) assert.ok(!e.message.includes(s.slice(6)));
    return true;
  });
}

Deno.test("the reason codes are the crate's, in its order", () => {
  assert.deepEqual(
    wasm.webhookRefusals(),
    [
      "missing_timestamp",
      "bad_timestamp",
      "malformed_header",
      "no_signature",
      "timestamp_too_old",
      "timestamp_in_future",
      "bad_secret",
      "mismatch",
    ] satisfies WebhookRefusal[],
  );
});

for (const [name, core] of builds) {
  Deno.test(`${name}: every Stripe case of webhook.json, through StripeSignatureVerifier`, () => {
    for (const v of vectors.stripe) {
      const build = () => new core.StripeSignatureVerifier(v.secrets, vectors.tolerance_s);
      if (v.reason === "bad_secret") {
        assertRefusedConfiguration(build, v.secrets);
        continue;
      }
      const got = build().verify(encoder.encode(v.payload), v.header, v.now);
      assert.deepEqual(got, expected(v, true), v.name);
    }
  });

  Deno.test(`${name}: every Standard Webhooks case of webhook.json, through StandardSignatureVerifier`, () => {
    for (const v of vectors.standard) {
      const build = () => new core.StandardSignatureVerifier(v.secrets, vectors.tolerance_s);
      if (v.reason === "bad_secret") {
        assertRefusedConfiguration(build, v.secrets);
        continue;
      }
      const got = build().verify(v.id, v.timestamp, v.signature, encoder.encode(v.payload), v.now);
      assert.deepEqual(got, expected(v, false), v.name);
    }
  });

  Deno.test(`${name}: signing reproduces the accepted cases' signatures`, () => {
    const stripe = vectors.stripe.find((v: { name: string }) => v.name === "signed_now");
    assert.equal(core.signStripe(stripe.payload, stripe.secrets[0], stripe.timestamp), stripe.header);
    assert.equal(core.signStripe(encoder.encode(stripe.payload), stripe.secrets[0], stripe.timestamp), stripe.header);
    const standard = vectors.standard.find((v: { name: string }) => v.name === "reference_vector");
    assert.equal(
      core.signStandard(standard.id, Number(standard.timestamp), standard.payload, standard.secrets[0]),
      standard.signature,
    );
  });

  Deno.test(`${name}: the default tolerance is 300 s, and a tolerance is a non-negative integer`, () => {
    const v = vectors.stripe.find((c: { name: string }) => c.name === "signed_now");
    const verifier = new core.StripeSignatureVerifier(v.secrets);
    assert.equal(verifier.verify(encoder.encode(v.payload), v.header, v.now + 300).ok, true);
    assert.equal(verifier.verify(encoder.encode(v.payload), v.header, v.now + 301).ok, false);
    const strict = new core.StripeSignatureVerifier(v.secrets, 0);
    assert.deepEqual(strict.verify(encoder.encode(v.payload), v.header, v.now + 1), {
      ok: false,
      reason: "timestamp_too_old",
    });
    assert.throws(() => new core.StripeSignatureVerifier(v.secrets, -1), TypeError);
    assert.throws(() => new core.StandardSignatureVerifier(["whsec_AAAA"], 1.5), TypeError);
  });

  Deno.test(`${name}: bad arguments are TypeErrors that never quote a secret`, () => {
    assert.throws(() => new core.StripeSignatureVerifier([]), {
      name: "TypeError",
      message: "secrets must hold at least one signing secret",
    });
    assert.throws(() => new core.StandardSignatureVerifier([]), TypeError);
    const secret = "whsec_SeCrEtSeCrEt not base64";
    for (
      const build of [
        () => core.signStandard("msg_1", 1, "{}", secret),
        () => new core.StandardSignatureVerifier([secret]),
      ]
    ) {
      assert.throws(build, (e: unknown) => e instanceof TypeError && !e.message.includes("SeCrEt"));
    }
    assert.throws(() => core.signStripe("{}", "", 1), TypeError);
    const verifier = new core.StripeSignatureVerifier(["whsec_test_secret"]);
    assert.throws(() => verifier.verify(new Uint8Array(), "", 1.5), TypeError);
  });

  Deno.test(`${name}: a verifier shows no secret when inspected or serialised`, () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    for (const verifier of [new core.StripeSignatureVerifier([secret]), new core.StandardSignatureVerifier([secret])]) {
      for (const shown of [Deno.inspect(verifier, { showHidden: true, depth: 10 }), JSON.stringify(verifier)]) {
        assert.ok(!shown.includes("MfKQ9r8G"), shown);
      }
    }
  });
}
