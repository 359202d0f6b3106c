import { Authenticator } from "../_shared/auth.ts";
import { intEnv, requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { storeFromEnv } from "../_shared/ratelimit/config.ts";
import { analyticsLimits } from "../_shared/ratelimit/named.ts";
import { handleAnalytics } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET"]);
const sql = connect(env.SUPABASE_DB_URL, 5);

export default {
  fetch: serve("analytics", handleAnalytics, {
    sql,
    auth: new Authenticator(env.JWT_SECRET),
    store: storeFromEnv("ANALYTICS", sql),
    limits: analyticsLimits(),
    statementTimeoutMs: intEnv("ANALYTICS_STATEMENT_TIMEOUT_MS", 3000),
  }),
};
