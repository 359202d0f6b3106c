// POST {code, event_id, device_id} from a scanner: verify the code in the wasm core, then
// decide, redeem and log in the database (recorder.ts), which locks the ticket row so two
// doors can never both admit it.
import type { Authenticator } from "../_shared/auth.ts";
import { HttpError, json, methodNotAllowed, readJsonObject, type RequestContext } from "../_shared/http.ts";
import type { QrKeys } from "../_shared/wasm.ts";
import { maxScanBodyBytes, parseScanRequest } from "./request.ts";
import type { ScanRecorder } from "./recorder.ts";
import { verdictFor } from "./verdict.ts";

export interface ScannerDeps {
  recorder: ScanRecorder;
  auth: Authenticator;
  keys: QrKeys;
  /** Unix seconds; injected so tests can scan at any moment. */
  now: () => number;
}

export async function handleScan(req: Request, deps: ScannerDeps, _ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const scanner = await deps.auth.user(req);
  const scan = parseScanRequest(await readJsonObject(req, maxScanBodyBytes));
  const v = await verdictFor(scan.code, scan.eventId, deps.now(), deps.keys, (id) => deps.recorder.ticketEvent(id));
  const answer = await deps.recorder.record({
    eventId: scan.eventId,
    scannerId: scanner.userId,
    deviceId: scan.deviceId,
    verdict: v.verdict,
    kind: v.kind,
    ticketId: v.ticketId,
    code: v.kind === "print" || v.kind === "legacy" ? scan.code : null,
  });
  if (answer.result === "forbidden") {
    throw new HttpError(403, "forbidden", "You are not scanner staff for this event");
  }
  return json(answer);
}
