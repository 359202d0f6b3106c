// POST {code, event_id, device_id} from a scanner: verify the code in the wasm core, then
// decide, redeem and log in the database (recorder.ts), which locks the ticket row so two
// doors can never both admit it.
import type { Authenticator } from "../_shared/auth.ts";
import { HttpError, json, methodNotAllowed, readJsonObject, type RequestContext } from "../_shared/http.ts";
import type { QrKeys } from "../_shared/wasm.ts";
import { maxScanBodyBytes, parseScanRequest } from "./request.ts";
import type { ScanRecorder } from "./recorder.ts";
import { verdictFor } from "./verdict.ts";
import { countsAsRefused, type RefusalLimit } from "./refusals.ts";

export interface ScannerDeps {
  recorder: ScanRecorder;
  auth: Authenticator;
  refusals: RefusalLimit;
  keys: QrKeys;
  /** Unix seconds; injected so tests can scan at any moment. */
  now: () => number;
}

export async function handleScan(req: Request, deps: ScannerDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const scanner = await deps.auth.user(req);
  // A caller out of refused scans is turned away before its scan costs anything.
  deps.refusals.check(scanner.userId, ctx);
  let answer;
  try {
    answer = await decide(req, deps, scanner.userId);
  } catch (e) {
    // A bad request or a stranger's scan is a refusal too; the database failing is not.
    if (e instanceof HttpError && e.status < 500) await deps.refusals.count(scanner.userId, e.code, ctx);
    throw e;
  }
  if (countsAsRefused(answer.result)) await deps.refusals.count(scanner.userId, answer.result, ctx);
  return json(answer);
}

async function decide(req: Request, deps: ScannerDeps, scannerId: string) {
  const scan = parseScanRequest(await readJsonObject(req, maxScanBodyBytes));
  const v = await verdictFor(scan.code, scan.eventId, deps.now(), deps.keys, (id) => deps.recorder.ticketEvent(id));
  const answer = await deps.recorder.record({
    eventId: scan.eventId,
    scannerId,
    deviceId: scan.deviceId,
    verdict: v.verdict,
    kind: v.kind,
    ticketId: v.ticketId,
    code: v.kind === "print" || v.kind === "legacy" ? scan.code : null,
  });
  if (answer.result === "forbidden") {
    throw new HttpError(403, "forbidden", "You are not scanner staff for this event");
  }
  return answer;
}
