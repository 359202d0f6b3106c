// The e-mail queue for operators (docs/email-queue.md), on a real project too:
//   SUPABASE_DB_URL=… deno run -A tools/email-queue.ts health [--queue default]
//   SUPABASE_DB_URL=… deno run -A tools/email-queue.ts replay --id <uuid> [--id <uuid> …]
//   SUPABASE_DB_URL=… deno run -A tools/email-queue.ts replay --since 2026-12-01T09:00:00Z [--include-unknown]
//   SUPABASE_DB_URL=… RESEND_API_KEY=… EMAIL_FROM=… deno run -A tools/email-queue.ts run [--budget-ms 35000]
// `run` is one processor run in this process, the same code process-email-queue runs; the
// crash tests start it as a process of its own and kill it.
import { parseArgs } from "node:util";
import { intEnv, requireEnv } from "../edge-functions/_shared/config.ts";
import { connect } from "../edge-functions/_shared/db.ts";
import { logger } from "../edge-functions/_shared/log.ts";
import { ResendClient } from "../edge-functions/_shared/providers/resend.ts";
import { runProcessor } from "../edge-functions/process-email-queue/processor.ts";

const usage = "usage: email-queue.ts health | replay (--id <uuid>… | --since <time>) | run [--budget-ms N]";
const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    queue: { type: "string", default: "default" },
    id: { type: "string", multiple: true },
    since: { type: "string" },
    "budget-ms": { type: "string", default: "35000" },
    // outcome_unknown dead letters may have been delivered: a replay by time leaves them out.
    "include-unknown": { type: "boolean", default: false },
  },
});

const env = requireEnv(["SUPABASE_DB_URL"]);
const sql = connect(env.SUPABASE_DB_URL, 2);
try {
  switch (positionals[0]) {
    case "health": {
      const [{ health }] = await sql`select public.email_queue_health(${values.queue}) as health`;
      console.log(JSON.stringify({ queue: values.queue, ...health }));
      break;
    }
    case "replay": {
      const since = values.since === undefined ? null : new Date(values.since);
      if ((values.id === undefined) === (since === null) || (since && Number.isNaN(since.getTime()))) {
        throw new Error(`replay needs --id (one or more) or --since with a time; ${usage}`);
      }
      const ids = await sql<{ id: string }[]>`
        select public.replay_email_dead_letters(${values.id ?? null}::uuid[], ${since?.toISOString() ?? null},
                                                ${values.queue}, ${values["include-unknown"]}) as id`;
      console.log(JSON.stringify({ replayed: ids.length, ids: ids.map((r) => r.id) }));
      break;
    }
    case "run": {
      const run = requireEnv(["RESEND_API_KEY", "EMAIL_FROM"]);
      const sendMs = intEnv("EMAIL_SEND_TIMEOUT_MS", 10_000);
      const sender = new ResendClient(
        Deno.env.get("RESEND_API_BASE") ?? "https://api.resend.com",
        run.RESEND_API_KEY,
        run.EMAIL_FROM,
        sendMs,
      );
      const report = await runProcessor({ sql, sender, log: logger({ tool: "email-queue" }) }, {
        worker: `email-queue-tool/${crypto.randomUUID()}`,
        queue: values.queue,
        budgetMs: Number(values["budget-ms"]),
        sendMs,
      });
      console.log(JSON.stringify(report));
      break;
    }
    default:
      throw new Error(usage);
  }
} finally {
  await sql.end();
}
