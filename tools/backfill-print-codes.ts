// Signs a print code for every ticket that has none (after the ticket QR migration, on a
// real project too): SUPABASE_DB_URL=… QR_SIGNING_KEYS=… deno run -A tools/backfill-print-codes.ts
import { requireEnv } from "../edge-functions/_shared/config.ts";
import { connect } from "../edge-functions/_shared/db.ts";
import { backfillPrintCodes } from "../edge-functions/_shared/tickets.ts";
import { QrKeys } from "../edge-functions/_shared/wasm.ts";

const env = requireEnv(["SUPABASE_DB_URL", "QR_SIGNING_KEYS"]);
const sql = connect(env.SUPABASE_DB_URL, 1);
try {
  const signed = await backfillPrintCodes(sql, new QrKeys(env.QR_SIGNING_KEYS));
  console.log(`signed print codes for ${signed} ticket${signed === 1 ? "" : "s"}`);
} finally {
  await sql.end();
}
