// The operations page's data, for platform admins only (docs/operations.md): one panel of
// figures per GET, each drawn by SQL functions of its own in one statement (so a panel is
// one snapshot, timed by the database's clock), and the replay of dead letters by id.
// Whether the caller is an admin is the database's answer (is_platform_admin), asked before
// any input is read, so anyone else learns nothing, not even which panels exist.
import type { Authenticator } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { orDatabaseFailure } from "../_shared/db_errors.ts";
import {
  HttpError,
  invalidField,
  json,
  methodNotAllowed,
  readJsonObject,
  type RequestContext,
} from "../_shared/http.ts";
import { uuidPattern } from "../_shared/ids.ts";

export interface OperationsDeps {
  sql: Sql;
  auth: Authenticator;
}

type Panel = (sql: Sql) => Promise<{ as_of: string; data: Record<string, unknown> }[]>;

/** How many dead letters a queue panel lists, newest first. */
const deadLetterLimit = 50;
/** How many analytics refresh runs the refresh panel lists, newest first. */
const refreshRunLimit = 20;

// Each panel's statement: `as_of` is the statement's now(), which every function in it
// reads too. jsonb_agg keeps the functions' own order and gives counts as JSON numbers.
const panels: Readonly<Record<string, Panel>> = {
  email_queue: (sql) =>
    sql`select now() as as_of, jsonb_build_object(
          'queues', (select coalesce(jsonb_agg(q), '[]') from public.ops_email_queue() q),
          'dead_letters', (select coalesce(jsonb_agg(d), '[]')
                             from public.ops_email_dead_letters(${deadLetterLimit}) d)) as data`,
  webhook_queue: (sql) =>
    sql`select now() as as_of, jsonb_build_object(
          'queues', (select coalesce(jsonb_agg(q), '[]') from public.ops_webhook_queue() q),
          'dead_letters', (select coalesce(jsonb_agg(d), '[]')
                             from public.ops_webhook_dead_letters(${deadLetterLimit}) d)) as data`,
  provider_rates: (sql) =>
    sql`select now() as as_of, jsonb_build_object(
          'window_hours', 24,
          'providers', (select jsonb_object_agg(p.provider, p.metrics)
                          from (select r.provider, jsonb_object_agg(r.metric, r.count) as metrics
                                  from public.ops_provider_rates('24 hours') r group by r.provider) p)) as data`,
  push_states: (sql) =>
    sql`select now() as as_of, jsonb_build_object(
          'window_hours', 24,
          'states', (select coalesce(jsonb_agg(s), '[]')
                       from public.push_delivery_states(now() - interval '24 hours') s)) as data`,
  refresh_runs: (sql) =>
    sql`select now() as as_of, jsonb_build_object(
          'freshness', (select to_jsonb(f) from public.analytics_freshness() f),
          'views', (select coalesce(jsonb_agg(v), '[]') from public.ops_refresh_views() v),
          'runs', (select coalesce(jsonb_agg(r), '[]') from public.ops_refresh_runs(${refreshRunLimit}) r)) as data`,
  door_scans: (sql) =>
    sql`select now() as as_of, jsonb_build_object(
          'window_minutes', 60,
          'doors', (select coalesce(jsonb_agg(d), '[]') from public.ops_door_scans('1 hour') d)) as data`,
};

export const panelNames: readonly string[] = Object.keys(panels);

/** The most dead letters one replay takes, as the page's list shows at most 50 at once. */
const maxReplayIds = 100;

export async function handleOperations(req: Request, deps: OperationsDeps, _ctx: RequestContext): Promise<Response> {
  const path = new URL(req.url).pathname.replace(/\/+$/, "");
  const replay = path.endsWith("/replay");
  if (!replay && !path.endsWith("/operations")) throw new HttpError(404, "not_found", "No such operations endpoint");
  if (req.method !== (replay ? "POST" : "GET")) throw methodNotAllowed([replay ? "POST" : "GET"]);
  const caller = await deps.auth.user(req);
  await requireAdmin(deps.sql, caller.userId);
  return replay ? await replayDeadLetters(req, deps.sql) : await panel(req, deps.sql);
}

async function requireAdmin(sql: Sql, userId: string): Promise<void> {
  const [{ admin }] = await orDatabaseFailure(
    sql<{ admin: boolean }[]>`select public.is_platform_admin(${userId}) as admin`,
  );
  if (!admin) throw new HttpError(403, "forbidden", "Only platform admins may see the operations page");
}

async function panel(req: Request, sql: Sql): Promise<Response> {
  const name = new URL(req.url).searchParams.get("panel");
  if (name === null || !Object.hasOwn(panels, name)) {
    throw invalidField("panel", `panel must be one of ${panelNames.join(", ")}`);
  }
  const [row] = await orDatabaseFailure(panels[name](sql));
  return json({ panel: name, as_of: new Date(row.as_of).toISOString(), data: row.data });
}

async function replayDeadLetters(req: Request, sql: Sql): Promise<Response> {
  const body = await readJsonObject(req, 8192);
  const { queue, ids } = body;
  if (queue !== "email" && queue !== "webhook") throw invalidField("queue", 'queue must be "email" or "webhook"');
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > maxReplayIds) {
    throw invalidField("ids", `ids must be an array of 1 to ${maxReplayIds} dead letters' ids`);
  }
  let rows: { replayed: number }[];
  if (queue === "email") {
    if (!ids.every((id) => typeof id === "string" && uuidPattern.test(id))) {
      throw invalidField("ids", "an e-mail's id is a UUID");
    }
    rows = await orDatabaseFailure(sql<{ replayed: number }[]>`
      select count(*)::integer as replayed from public.replay_email_dead_letters(p_ids => ${ids}::uuid[])`);
  } else {
    // The retry queue's ids are bigint identities; as JSON numbers they are exact up to 2^53.
    if (!ids.every((id) => Number.isSafeInteger(id) && id > 0)) {
      throw invalidField("ids", "a webhook retry's id is a positive integer");
    }
    rows = await orDatabaseFailure(sql<{ replayed: number }[]>`
      select count(*)::integer as replayed from public.replay_webhook_dead_letters(p_ids => ${ids}::bigint[])`);
  }
  return json({ replayed: rows[0].replayed });
}
