import { Authenticator } from "../_shared/auth.ts";
import { intEnv, requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { storeFromEnv } from "../_shared/ratelimit/config.ts";
import { scannerLimits } from "../_shared/ratelimit/named.ts";
import { QrKeys } from "../_shared/wasm.ts";
import { handleScan } from "./handler.ts";
import { ScanRecorder } from "./recorder.ts";
import { RefusalLimit } from "./refusals.ts";

const env = requireEnv(["SUPABASE_DB_URL", "JWT_SECRET", "QR_SIGNING_KEYS"]);
// One connection carries the batches (see recorder.ts); SCANNER_DB_POOL sizes the pool for
// the lookups that refused codes need, whose settings the rate limit's own pool copies.
const lookups = connect(env.SUPABASE_DB_URL, intEnv("SCANNER_DB_POOL", 2));

export default {
  fetch: serve("scanner-validate", handleScan, {
    recorder: new ScanRecorder(connect(env.SUPABASE_DB_URL, 1), lookups),
    auth: new Authenticator(env.JWT_SECRET),
    refusals: new RefusalLimit(storeFromEnv("SCANNER", lookups), scannerLimits().refusals),
    keys: new QrKeys(env.QR_SIGNING_KEYS),
    now: () => Math.floor(Date.now() / 1000),
  }),
};
