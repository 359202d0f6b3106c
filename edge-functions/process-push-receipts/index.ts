import { Authenticator } from "../_shared/auth.ts";
import { intEnv, requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { PushClient } from "../_shared/providers/push.ts";
import { handleProcessReceipts } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET", "PUSH_API_BASE"]);

export default {
  fetch: serve("process-push-receipts", handleProcessReceipts, {
    sql: connect(env.SUPABASE_DB_URL, 2, { statementTimeoutMs: 30_000 }),
    auth: new Authenticator(env.JWT_SECRET),
    push: new PushClient(env.PUSH_API_BASE, Deno.env.get("PUSH_ACCESS_TOKEN") ?? ""),
    // Within pg_net's 60 s timeout: claiming stops after 25 s, and a provider call times out
    // after 10 s.
    budgetMs: intEnv("PUSH_RECEIPTS_BUDGET_MS", 25_000),
    // Expo advises asking about 15 minutes after the send.
    minAgeSeconds: intEnv("PUSH_RECEIPTS_MIN_AGE_S", 900),
  }),
};
