import { Authenticator } from "../_shared/auth.ts";
import { intEnv, requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { ResendClient } from "../_shared/providers/resend.ts";
import { handleProcessQueue } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET", "RESEND_API_KEY", "EMAIL_FROM"]);
const sendMs = intEnv("EMAIL_SEND_TIMEOUT_MS", 10_000);

export default {
  fetch: serve("process-email-queue", handleProcessQueue, {
    sql: connect(env.SUPABASE_DB_URL, 5),
    auth: new Authenticator(env.JWT_SECRET),
    sender: new ResendClient(
      Deno.env.get("RESEND_API_BASE") ?? "https://api.resend.com",
      env.RESEND_API_KEY,
      env.EMAIL_FROM,
      sendMs,
    ),
    // Claiming stops this long after the start, and a run ends within two send timeouts
    // more: 55 s, inside pg_net's 60 s timeout, Supabase's wall-clock limit (150 s on the free
    // plan) and the minute between pg_cron's runs.
    budgetMs: intEnv("EMAIL_RUN_BUDGET_MS", 35_000),
    sendMs,
  }),
};
