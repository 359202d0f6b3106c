import { Authenticator } from "../_shared/auth.ts";
import { requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { PushClient } from "../_shared/providers/push.ts";
import { storeFromEnv } from "../_shared/ratelimit/config.ts";
import { pushLimits } from "../_shared/ratelimit/named.ts";
import { handleSendPush } from "./handler.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET", "PUSH_API_BASE"]);
const sql = connect(env.SUPABASE_DB_URL, 5);

export default {
  fetch: serve("send-push", handleSendPush, {
    sql,
    auth: new Authenticator(env.JWT_SECRET),
    store: storeFromEnv("PUSH", sql),
    limits: pushLimits(),
    push: new PushClient(env.PUSH_API_BASE, Deno.env.get("PUSH_ACCESS_TOKEN") ?? ""),
  }),
};
