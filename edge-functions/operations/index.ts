import { Authenticator } from "../_shared/auth.ts";
import { requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { handleOperations } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET"]);

export default {
  // A few admins look at the page: two connections, and a statement of the page's never
  // holds the database for more than 5 seconds.
  fetch: serve("operations", handleOperations, {
    sql: connect(env.SUPABASE_DB_URL, 2, { statementTimeoutMs: 5000 }),
    auth: new Authenticator(env.JWT_SECRET),
  }),
};
