// Runs the push receipt processor once, for pg_cron (every 5 minutes, through pg_net as the
// webhook retries are run) and for operators: service role only. Overlapping runs stay off
// each other's rows by leases and `skip locked`. A body may ask for a shorter minimum age
// ({"min_age_seconds": 0} asks for every sent push's receipt now, as a demo or an operator
// would); the answer reports what the run did.
import type { Authenticator } from "../_shared/auth.ts";
import {
  HttpError,
  invalidField,
  json,
  methodNotAllowed,
  readJsonObject,
  type RequestContext,
} from "../_shared/http.ts";
import { type ReceiptProcessorDeps, runPushReceipts } from "./processor.ts";

export interface ProcessReceiptsDeps extends Omit<ReceiptProcessorDeps, "log"> {
  auth: Authenticator;
  budgetMs: number;
  /** How long after a send its receipt is first asked for, unless the request asks for less. */
  minAgeSeconds: number;
}

export async function handleProcessReceipts(
  req: Request,
  deps: ProcessReceiptsDeps,
  ctx: RequestContext,
): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const caller = await deps.auth.caller(req);
  if (caller.role !== "service_role") {
    throw new HttpError(403, "forbidden", "Only the service role may fetch push receipts");
  }
  let minAgeSeconds = deps.minAgeSeconds;
  const body = req.body === null ? {} : await readJsonObject(req, 1024);
  if (body.min_age_seconds !== undefined) {
    const m = body.min_age_seconds;
    if (!Number.isInteger(m) || (m as number) < 0 || (m as number) > minAgeSeconds) {
      throw invalidField(
        "min_age_seconds",
        `min_age_seconds must be a whole number of seconds from 0 to ${minAgeSeconds}`,
      );
    }
    minAgeSeconds = m as number;
  }
  const report = await runPushReceipts({ sql: deps.sql, push: deps.push, now: deps.now, log: ctx.log }, {
    worker: `process-push-receipts/${crypto.randomUUID()}`,
    budgetMs: deps.budgetMs,
    minAgeSeconds,
  });
  ctx.log.log(report.provider_error ? "warn" : "info", "push receipt run", { ...report });
  return json(report);
}
