// POST {code, event_id, device_id} from a scanner: verify the code in the wasm core, then
// decide, redeem and log in the database (recorder.ts), which locks the ticket row so two
// doors can never both admit it.
import type { Authenticator } from "../_shared/auth.ts";
import { HttpError, json, methodNotAllowed, readJsonObject, type RequestContext } from "../_shared/http.ts";
import { admit } from "../_shared/ratelimit/admit.ts";
import type { ScannerLimits } from "../_shared/ratelimit/named.ts";
import type { RateLimitStore } from "../_shared/ratelimit/store.ts";
import type { QrKeys } from "../_shared/wasm.ts";
import { maxScanBodyBytes, parseScanRequest } from "./request.ts";
import type { ScanRecorder } from "./recorder.ts";
import { verdictFor } from "./verdict.ts";

export interface ScannerDeps {
  recorder: ScanRecorder;
  auth: Authenticator;
  store: RateLimitStore;
  limits: ScannerLimits;
  keys: QrKeys;
  /** Unix seconds; injected so tests can scan at any moment. */
  now: () => number;
}

export async function handleScan(req: Request, deps: ScannerDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const scanner = await deps.auth.user(req);
  // Every attempt counts, so a caller flooding the doors' function is held back before it
  // costs the database anything; refusals name the caller in the log.
  await admit(deps.store, [{ limit: deps.limits.user, key: scanner.userId }], ctx).catch((e) => {
    refused(ctx, scanner.userId, "rate_limited");
    throw e;
  });
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
    refused(ctx, scanner.userId, "not_staff", scan.eventId);
    throw new HttpError(403, "forbidden", "You are not scanner staff for this event");
  }
  return json(answer);
}

function refused(ctx: RequestContext, scanner: string, reason: string, eventId?: string): void {
  ctx.log.log("warn", "scan refused", { scanner, reason, event_id: eventId });
}
