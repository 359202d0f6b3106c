import { Authenticator } from "../_shared/auth.ts";
import { requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { handleWhoami } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET"]);

export default {
  fetch: serve("whoami", handleWhoami, {
    sql: connect(env.SUPABASE_DB_URL, 2),
    auth: new Authenticator(env.JWT_SECRET),
  }),
};
