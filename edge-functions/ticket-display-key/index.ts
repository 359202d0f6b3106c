import { Authenticator } from "../_shared/auth.ts";
import { requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { QrKeys } from "../_shared/wasm.ts";
import { handleDisplayKey } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET", "QR_SIGNING_KEYS"]);

export default {
  fetch: serve("ticket-display-key", handleDisplayKey, {
    sql: connect(env.SUPABASE_DB_URL, 2),
    auth: new Authenticator(env.JWT_SECRET),
    keys: new QrKeys(env.QR_SIGNING_KEYS),
  }),
};
