import { Authenticator } from "../_shared/auth.ts";
import { intEnv, requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { QrKeys } from "../_shared/wasm.ts";
import { handleProcessRetries } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET", "QR_SIGNING_KEYS"]);

export default {
  fetch: serve("process-webhook-retries", handleProcessRetries, {
    sql: connect(env.SUPABASE_DB_URL, 2, { statementTimeoutMs: 30_000 }),
    auth: new Authenticator(env.JWT_SECRET),
    keys: new QrKeys(env.QR_SIGNING_KEYS),
    emailQueue: Deno.env.get("TICKET_EMAIL_QUEUE") ?? "default",
    // Within pg_net's 60 s timeout, with a statement's 30 s to spare.
    budgetMs: intEnv("WEBHOOK_RETRY_BUDGET_MS", 25_000),
  }),
};
