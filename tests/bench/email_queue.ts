// Queue throughput, claim and complete with a provider that does nothing: Usher's e-mail
// queue (runProcessor, the path real runs take: claim_email_batch → email_send_slot → send →
// complete_email_send) against graphile-worker 0.18 running no-op jobs, unbatched and with
// its batching (a local queue and batched completion), on the same Postgres with the same
// concurrency. Each side drains N rows enqueued beforehand in one statement; the clock runs
// from the start of the workers until every row is done, and the run checks that every row
// was sent (Usher) or every job ran exactly once and left the table (graphile-worker).
// Usher: 4 runners (each its own worker name, claims of 200, batches of 100, 4 sends in
// flight) over one pool of 10, the provider slot out of the way. graphile-worker: one runner
// of concurrency 4 over a pool of 10; batched, a local queue of 200 (Usher's claim) and
// completions batched with a delay of 0 ms, the fastest here (the 250 ms its docs start from
// ran at a twentieth of the speed). A warm-up run each, then rounds in turn, averaged.
//   deno run --allow-all tests/bench/email_queue.ts
import pg from "npm:pg@8.16.3";
import { Logger, makeWorkerUtils, run as runGraphile, type TaskList } from "npm:graphile-worker@0.18.0";
import { connect } from "../../edge-functions/_shared/db.ts";
import { logger } from "../../edge-functions/_shared/log.ts";
import { runProcessor, type Sender } from "../../edge-functions/process-email-queue/processor.ts";
import { counts, createQueue, dropQueue, enqueueBulk } from "../support/email.ts";
import { dbUrl } from "../support/stack.ts";
import { report } from "./lib/report.ts";

const jobs = Number(Deno.env.get("BENCH_EMAIL_JOBS") ?? 40_000);
const rounds = Number(Deno.env.get("BENCH_EMAIL_ROUNDS") ?? 2);
/** Usher's runners, and graphile-worker's concurrent jobs. */
const concurrency = 4;
/** graphile-worker's batching: its local queue, and how long a completion waits for others. */
const localQueueSize = 200;
const batchDelayMs = 0;
const task = "usher_bench_noop";

const sql = connect(dbUrl, 10);
// graphile-worker's pool, as large as its docs advise (concurrency + 2, at least 10).
const pool = new pg.Pool({ connectionString: dbUrl, max: 10 });
// graphile-worker asks for both handlers (an idle client's error would otherwise be thrown).
pool.on("error", () => {});
pool.on("connect", (client) => client.on("error", () => {}));
const quiet = new Logger(() => (level, message) => {
  if (level === "error") console.error(`graphile-worker: ${message}`);
});

const noop: Sender = {
  from: "bench@usher.example",
  send: (_key, emails) => Promise.resolve({ ok: true, ids: emails.map(() => crypto.randomUUID()) }),
};

/** Usher: n rows in a queue of their own, drained by `concurrency` runners; rows per second. */
async function usher(n: number): Promise<number> {
  const queue = await createQueue(sql, { providerRequestsPerSecond: 10_000, batchSize: 100 });
  try {
    await enqueueBulk(sql, queue, n);
    const log = logger({ bench: queue }, () => {});
    const started = performance.now();
    const runs = await Promise.all(
      Array.from({ length: concurrency }, (_, i) =>
        runProcessor({ sql, sender: noop, log }, {
          worker: `bench/${queue}/${i}`,
          queue,
          budgetMs: 600_000,
          sendMs: 0,
          // Once the queue holds only other runners' leases, look again soon rather than in a second.
          pollMs: 10,
        })),
    );
    const seconds = (performance.now() - started) / 1000;
    const health = await counts(sql, queue);
    const sent = runs.reduce((sum, r) => sum + r.sent, 0);
    if (health.sent !== n || sent !== n) throw new Error(`usher sent ${health.sent} rows (runners: ${sent}) of ${n}`);
    return n / seconds;
  } finally {
    await dropQueue(sql, queue);
  }
}

/** Removes this benchmark's jobs (none are left after a run that passed). */
async function clearJobs(): Promise<void> {
  await pool.query(
    `delete from graphile_worker._private_jobs
      where task_id in (select id from graphile_worker._private_tasks where identifier = $1)`,
    [task],
  );
}

async function jobsLeft(): Promise<number> {
  const { rows: [{ left }] } = await pool.query(
    `select count(*)::int as left from graphile_worker.jobs where task_identifier = $1`,
    [task],
  );
  return left;
}

/** graphile-worker: n no-op jobs, run with `concurrency` at once; jobs per second. */
async function graphile(n: number, batched: boolean): Promise<number> {
  const utils = await makeWorkerUtils({ pgPool: pool, logger: quiet });
  try {
    await utils.migrate();
    await clearJobs();
    await utils.addJobs(Array.from({ length: n }, (_, i) => ({ identifier: task, payload: { i } })));
  } finally {
    await utils.release();
  }
  const seen = new Uint8Array(n);
  let ran = 0;
  let twice = 0;
  let allRan: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allRan = resolve));
  const taskList: TaskList = {
    [task]: (payload) => {
      const i = (payload as { i: number }).i;
      if (seen[i]++ > 0) twice++;
      if (++ran === n) allRan();
    },
  };
  const started = performance.now();
  const runner = await runGraphile({
    pgPool: pool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: quiet,
    taskList,
    preset: batched
      ? {
        worker: {
          localQueue: { size: localQueueSize },
          completeJobBatchDelay: batchDelayMs,
          failJobBatchDelay: batchDelayMs,
        },
      }
      : {},
  });
  await finished;
  // A job is done when its row is gone: the last completions may still be on their way (or
  // waiting for their batch).
  let left = await jobsLeft();
  for (const giveUp = performance.now() + 10_000; left > 0 && performance.now() < giveUp; left = await jobsLeft()) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  if (ran !== n || twice !== 0 || left !== 0) {
    throw new Error(`graphile-worker ran ${ran} of ${n} jobs, ${twice} twice, and left ${left} in the table`);
  }
  return n / seconds;
}

try {
  const contenders: Record<string, (n: number) => Promise<number>> = {
    usher,
    graphile_worker_unbatched: (n) => graphile(n, false),
    graphile_worker_batched: (n) => graphile(n, true),
  };
  // A small warm-up run each (JIT, caches, graphile-worker's schema), then rounds in turn.
  for (const run of Object.values(contenders)) await run(Math.min(jobs, 2000));
  const totals: Record<string, number> = Object.fromEntries(Object.keys(contenders).map((k) => [k, 0]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(contenders)) totals[name] += await run(jobs);
  }
  const rate = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / rounds]));
  report("email_queue_usher", rate.usher.toFixed(0), `jobs/s (${jobs} rows, ${concurrency} runners)`);
  report("email_queue_graphile_worker_unbatched", rate.graphile_worker_unbatched.toFixed(0), "jobs/s");
  report("email_queue_graphile_worker_batched", rate.graphile_worker_batched.toFixed(0), "jobs/s");
  report(
    "email_queue_usher_vs_graphile_worker_unbatched",
    (rate.usher / rate.graphile_worker_unbatched).toFixed(2),
    "ratio",
  );
  report(
    "email_queue_usher_vs_graphile_worker_batched",
    (rate.usher / rate.graphile_worker_batched).toFixed(2),
    "ratio (target > 1)",
  );
} finally {
  await clearJobs().catch(() => {});
  await pool.end();
  await sql.end();
}
