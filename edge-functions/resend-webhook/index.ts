import { intEnv, requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { StandardSignatureVerifier } from "../_shared/wasm.ts";
import { handleResendWebhook } from "./handler.ts";

// RESEND_WEBHOOK_SECRETS: the endpoint's whsec_… signing secrets, comma-separated (two during
// a rotation).
const env = requireEnv(["SUPABASE_DB_URL", "RESEND_WEBHOOK_SECRETS"]);

export default {
  fetch: serve("resend-webhook", handleResendWebhook, {
    sql: connect(env.SUPABASE_DB_URL, 5, {
      statementTimeoutMs: intEnv("WEBHOOK_STATEMENT_TIMEOUT_MS", 5_000),
      lockTimeoutMs: intEnv("WEBHOOK_LOCK_TIMEOUT_MS", 2_000),
    }),
    verifier: new StandardSignatureVerifier(env.RESEND_WEBHOOK_SECRETS.split(",").map((s) => s.trim())),
  }),
};
