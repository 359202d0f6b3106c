// The webhook retry queue for operators (docs/webhooks.md), on a real project too:
//   SUPABASE_DB_URL=… deno run -A tools/webhook-retries.ts health
//   SUPABASE_DB_URL=… deno run -A tools/webhook-retries.ts replay --id <n> [--id <n> …]
//   SUPABASE_DB_URL=… deno run -A tools/webhook-retries.ts replay --event evt_… [--event …]
//   SUPABASE_DB_URL=… deno run -A tools/webhook-retries.ts replay --since <time> [--until <time>]
//   SUPABASE_DB_URL=… QR_SIGNING_KEYS=… deno run -A tools/webhook-retries.ts run [--budget-ms 25000]
// A replay makes dead letters due now with their tries given back; `run` is one processor
// run in this process, the same code process-webhook-retries runs (which pg_cron calls every
// 5 minutes), for when an operator will not wait.
import { parseArgs } from "node:util";
import { requireEnv } from "../edge-functions/_shared/config.ts";
import { connect } from "../edge-functions/_shared/db.ts";
import { logger } from "../edge-functions/_shared/log.ts";
import { QrKeys } from "../edge-functions/_shared/wasm.ts";
import { runWebhookRetries } from "../edge-functions/process-webhook-retries/processor.ts";

const usage =
  "usage: webhook-retries.ts health | replay (--id <n>… | --event <id>… | --since <time> [--until <time>]) | run";
const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    id: { type: "string", multiple: true },
    event: { type: "string", multiple: true },
    since: { type: "string" },
    until: { type: "string" },
    "budget-ms": { type: "string", default: "25000" },
  },
});

/** A time option as ISO 8601, or null when absent; a time that does not parse is an error. */
function time(name: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new Error(`--${name} must be a time, got ${JSON.stringify(value)}; ${usage}`);
  return t.toISOString();
}

const env = requireEnv(["SUPABASE_DB_URL"]);
const sql = connect(env.SUPABASE_DB_URL, 2);
try {
  switch (positionals[0]) {
    case "health": {
      const [{ health }] = await sql`select public.webhook_retry_health() as health`;
      console.log(JSON.stringify(health));
      break;
    }
    case "replay": {
      const ids = values.id?.map((id) => {
        if (!/^[0-9]{1,18}$/.test(id)) throw new Error(`--id must be a retry row's number, got ${JSON.stringify(id)}`);
        return id;
      }) ?? null;
      const since = time("since", values.since), until = time("until", values.until);
      if (ids === null && values.event === undefined && since === null) {
        throw new Error(`replay needs --id, --event or --since; ${usage}`);
      }
      const rows = await sql<{ id: string }[]>`
        select public.replay_webhook_dead_letters(${ids}::bigint[], ${values.event ?? null}::text[],
                                                  ${since}::timestamptz, ${until}::timestamptz) as id`;
      console.log(JSON.stringify({ replayed: rows.length, ids: rows.map((r) => Number(r.id)) }));
      break;
    }
    case "run": {
      const run = requireEnv(["QR_SIGNING_KEYS"]);
      const report = await runWebhookRetries({
        sql,
        keys: new QrKeys(run.QR_SIGNING_KEYS),
        emailQueue: Deno.env.get("TICKET_EMAIL_QUEUE") ?? "default",
        log: logger({ tool: "webhook-retries" }),
      }, { worker: `webhook-retries-tool/${crypto.randomUUID()}`, budgetMs: Number(values["budget-ms"]) });
      console.log(JSON.stringify(report));
      break;
    }
    default:
      throw new Error(usage);
  }
} finally {
  await sql.end();
}
