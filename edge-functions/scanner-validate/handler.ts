// POST {code, event_id, device_id} from a scanner: verify the code in the wasm core, then
// decide, redeem and log in one SQL call (`scan_ticket`), which locks the ticket row so
// two doors can never both admit it.
import type { Authenticator } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { HttpError, json, methodNotAllowed, readJsonObject, type RequestContext } from "../_shared/http.ts";
import type { QrKeys } from "../_shared/wasm.ts";
import { maxScanBodyBytes, parseScanRequest } from "./request.ts";
import { verdictFor } from "./verdict.ts";

export interface ScannerDeps {
  sql: Sql;
  auth: Authenticator;
  keys: QrKeys;
  /** Unix seconds; injected so tests can scan at any moment. */
  now: () => number;
}

export async function handleScan(req: Request, deps: ScannerDeps, _ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const scanner = await deps.auth.user(req);
  const scan = parseScanRequest(await readJsonObject(req, maxScanBodyBytes));
  const v = await verdictFor(scan.code, scan.eventId, deps.now(), deps.keys, deps.sql);
  const code = v.kind === "print" || v.kind === "legacy" ? scan.code : null;
  try {
    const [row] = await deps.sql<{ scan: Record<string, unknown> }[]>`
      select public.scan_ticket(${scan.eventId}, ${scanner.userId}, ${scan.deviceId},
                                ${v.verdict}, ${v.kind}, ${v.ticketId}, ${code}) as scan`;
    return json(row.scan);
  } catch (e) {
    if ((e as { code?: string }).code === "UR403") {
      throw new HttpError(403, "forbidden", "You are not scanner staff for this event");
    }
    throw e;
  }
}
