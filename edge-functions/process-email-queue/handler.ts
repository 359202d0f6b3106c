// Runs the e-mail processor once, for pg_cron (every minute, through pg_net on hosted
// Supabase and its stand-in locally, docs/local-pg-net.md) and for operators: service role
// only. Several runs may overlap; leases and `skip locked` keep them off each other's rows.
// The answer reports what the run did.
import type { Authenticator } from "../_shared/auth.ts";
import {
  HttpError,
  invalidField,
  json,
  methodNotAllowed,
  readJsonObject,
  type RequestContext,
} from "../_shared/http.ts";
import { type ProcessorDeps, runProcessor } from "./processor.ts";

export interface ProcessQueueDeps extends Omit<ProcessorDeps, "log"> {
  auth: Authenticator;
  /** The run's wall-time budget unless the request asks for less. */
  budgetMs: number;
  /** The provider call's timeout. */
  sendMs: number;
}

export async function handleProcessQueue(req: Request, deps: ProcessQueueDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const caller = await deps.auth.caller(req);
  if (caller.role !== "service_role") {
    throw new HttpError(403, "forbidden", "Only the service role may run the e-mail queue");
  }
  let budgetMs = deps.budgetMs;
  const body = req.body === null ? {} : await readJsonObject(req, 1024);
  if (body.budget_ms !== undefined) {
    if (!Number.isInteger(body.budget_ms) || (body.budget_ms as number) < 0 || (body.budget_ms as number) > budgetMs) {
      throw invalidField("budget_ms", `budget_ms must be a whole number of milliseconds from 0 to ${budgetMs}`);
    }
    budgetMs = body.budget_ms as number;
  }
  const worker = `process-email-queue/${crypto.randomUUID()}`;
  const report = await runProcessor({ sql: deps.sql, sender: deps.sender, log: ctx.log }, {
    worker,
    budgetMs,
    sendMs: deps.sendMs,
  });
  ctx.log.log("info", "e-mail queue run", { ...report });
  return json(report);
}
