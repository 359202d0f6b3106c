// Liveness and readiness: the wasm core loaded, and the database answers within a second.
import type { Sql } from "../_shared/db.ts";
import { json, methodNotAllowed, type RequestContext } from "../_shared/http.ts";
import { describeError } from "../_shared/log.ts";
import { withTimeout } from "../_shared/timeout.ts";
import { coreVersion } from "../_shared/wasm.ts";

export interface HealthDeps {
  sql: Sql;
}

export async function handleHealth(req: Request, deps: HealthDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed(["GET"]);
  const database = await databaseCheck(deps.sql, ctx);
  const ok = database === "ok";
  return json({ status: ok ? "ok" : "degraded", core: coreVersion, checks: { database } }, ok ? 200 : 503);
}

async function databaseCheck(sql: Sql, ctx: RequestContext): Promise<string> {
  try {
    await withTimeout(sql`select 1`, 1000, "the database");
    return "ok";
  } catch (e) {
    // Health is public: the reason goes to the log, the caller sees only that it failed.
    ctx.log.log("warn", "database check failed", { error: describeError(e) });
    return "unreachable";
  }
}
