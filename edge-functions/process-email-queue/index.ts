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
    // Claiming stops this long after the start; the last sends may take sendMs more. Well
    // inside Supabase's wall-clock limit (150 s on the free plan), and below the minute
    // between pg_cron's runs, so runs overlap only when a send is slow.
    budgetMs: intEnv("EMAIL_RUN_BUDGET_MS", 45_000),
    sendMs,
  }),
};
