// Runs the webhook retry processor once, for pg_cron (every 5 minutes, through pg_net as the
// e-mail processor is run) and for operators: service role only. Overlapping runs stay off
// each other's rows by leases and `skip locked`. The answer reports what the run did.
import type { Authenticator } from "../_shared/auth.ts";
import { HttpError, json, methodNotAllowed, type RequestContext } from "../_shared/http.ts";
import { type RetryProcessorDeps, runWebhookRetries } from "./processor.ts";

export interface ProcessRetriesDeps extends Omit<RetryProcessorDeps, "log"> {
  auth: Authenticator;
  budgetMs: number;
}

export async function handleProcessRetries(
  req: Request,
  deps: ProcessRetriesDeps,
  ctx: RequestContext,
): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const caller = await deps.auth.caller(req);
  if (caller.role !== "service_role") {
    throw new HttpError(403, "forbidden", "Only the service role may run the webhook retries");
  }
  const report = await runWebhookRetries({ ...deps, log: ctx.log }, {
    worker: `process-webhook-retries/${crypto.randomUUID()}`,
    budgetMs: deps.budgetMs,
  });
  ctx.log.log("info", "webhook retry run", { ...report });
  return json(report);
}
