import { intEnv, requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { QrKeys, StripeSignatureVerifier } from "../_shared/wasm.ts";
import { handleStripeWebhook } from "./handler.ts";

// STRIPE_WEBHOOK_SECRETS: the endpoint's signing secrets, comma-separated; two during a
// rotation (Stripe signs with both while the old one lives), one otherwise.
const env = requireEnv(["SUPABASE_DB_URL", "QR_SIGNING_KEYS", "STRIPE_WEBHOOK_SECRETS"]);

export default {
  fetch: serve("stripe-webhook", handleStripeWebhook, {
    // Bounded so a stuck apply is queued for retry long before Stripe's own timeout.
    sql: connect(env.SUPABASE_DB_URL, 5, {
      statementTimeoutMs: intEnv("WEBHOOK_STATEMENT_TIMEOUT_MS", 5_000),
      lockTimeoutMs: intEnv("WEBHOOK_LOCK_TIMEOUT_MS", 2_000),
    }),
    keys: new QrKeys(env.QR_SIGNING_KEYS),
    verifier: new StripeSignatureVerifier(env.STRIPE_WEBHOOK_SECRETS.split(",").map((s) => s.trim())),
    emailQueue: Deno.env.get("TICKET_EMAIL_QUEUE") ?? "default",
  }),
};
