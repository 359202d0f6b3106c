import { Authenticator } from "../_shared/auth.ts";
import { requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { handleSendEmail } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET"]);

export default {
  fetch: serve("send-email", handleSendEmail, {
    sql: connect(env.SUPABASE_DB_URL, 5),
    auth: new Authenticator(env.JWT_SECRET),
  }),
};
