import { requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { handleHealth } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL"]);

export default { fetch: serve("health", handleHealth, { sql: connect(env.SUPABASE_DB_URL, 2) }) };
