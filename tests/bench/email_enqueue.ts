// send-email's enqueue latency through the gateway (wrk → gateway → JWT → parse →
// enqueue_email), one client at a time and 16 at once: p50, p99 and requests per second,
// against the gateway's `health` (no JWT, one `select 1`), so the ratios say what accepting
// an e-mail costs above a function that does almost nothing. The load comes from wrk, a C
// client, as in scan_throughput.ts. send-email writes into the `default` queue, which the
// stack's own processor works: every row this run made (its subject is the run's own) is
// deleted at the end, and the run checks that each answered request made exactly one.
//   deno run --allow-all tests/bench/email_enqueue.ts
import { connect } from "../../edge-functions/_shared/db.ts";
import { dbUrl, functionsUrl, stackEnv } from "../support/stack.ts";
import { report } from "./lib/report.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 5);
const run = crypto.randomUUID().slice(0, 8);
const subject = `usher bench send-email ${run}`;
const body = JSON.stringify({ to: `bench-${run}@example.com`, subject, html: "<p>Your ticket</p>" });
const sql = connect(dbUrl, 2);

interface WrkRun {
  rate: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

/** One wrk run against `name`; a script file, when given, makes its requests. */
async function wrk(name: string, clients: number, runSeconds: number, script?: string): Promise<WrkRun> {
  const out = await new Deno.Command("wrk", {
    args: [
      "-t",
      String(Math.min(clients, 2)),
      "-c",
      String(clients),
      "-d",
      `${runSeconds}s`,
      "--latency",
      ...(script ? ["-s", script] : []),
      `${functionsUrl}/${name}`,
    ],
    // The key reaches wrk's script in its environment, never on a command line.
    env: { BENCH_TOKEN: stackEnv.SUPABASE_SERVICE_ROLE_KEY, BENCH_BODY: body },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const requests = /(\d+) requests in/.exec(text);
  const percentile = (p: number) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)$`, "m").exec(text);
    return m ? Number(m[1]) * units[m[2]] : NaN;
  };
  if (!out.success || !rate || !requests) {
    throw new Error(`wrk failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  }
  if (/Non-2xx/.test(text)) throw new Error(`some requests to ${name} were not answered 2xx:\n${text}`);
  return { rate: Number(rate[1]), requests: Number(requests[1]), p50Ms: percentile(50), p99Ms: percentile(99) };
}

async function removeRows(): Promise<void> {
  await sql`delete from public.email_sends where id in
    (select send_id from public.email_queue where subject = ${subject} and send_id is not null)`;
  await sql`delete from public.email_queue where subject = ${subject}`;
}

const script = await Deno.makeTempFile({ suffix: ".lua" });
try {
  // A POST of the run's e-mail with the service role's key, the only caller send-email takes.
  await Deno.writeTextFile(
    script,
    `wrk.method = "POST"\nwrk.body = os.getenv("BENCH_BODY")\n` +
      `wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")\n` +
      `wrk.headers["Content-Type"] = "application/json"\n`,
  );
  const smoke = await fetch(`${functionsUrl}/send-email`, {
    method: "POST",
    headers: { authorization: `Bearer ${stackEnv.SUPABASE_SERVICE_ROLE_KEY}`, "content-type": "application/json" },
    body,
  });
  await smoke.body?.cancel();
  if (smoke.status !== 202) throw new Error(`send-email answered ${smoke.status}; is the gateway serving it?`);
  let answered = 1;
  // Warm both (JIT, pools, the token cache), then each client count in turn.
  await wrk("health", 16, 2);
  answered += (await wrk("send-email", 16, 2, script)).requests;
  for (const clients of [1, 16]) {
    const health = await wrk("health", clients, seconds);
    const ours = await wrk("send-email", clients, seconds, script);
    answered += ours.requests;
    const name = `email_enqueue_c${clients}`;
    for (const p of ["p50", "p99"] as const) {
      const key = `${p}Ms` as const;
      report(`${name}_${p}_send_email`, ours[key].toFixed(2), "ms");
      report(`${name}_${p}_health`, health[key].toFixed(2), "ms");
      report(`${name}_${p}_send_email_vs_health`, (ours[key] / health[key]).toFixed(2), "x the latency of health");
    }
    report(`${name}_send_email`, ours.rate.toFixed(0), `requests/s (${ours.requests} e-mails enqueued)`);
    report(`${name}_health`, health.rate.toFixed(0), "requests/s");
    report(`${name}_send_email_vs_health`, (ours.rate / health.rate).toFixed(2), "ratio of requests/s");
  }
  // wrk counts the answers it read; a request in flight when a run stopped may have been
  // enqueued unanswered, at most one per connection.
  const [{ n }] = await sql<
    { n: number }[]
  >`select count(*)::int as n from public.email_queue where subject = ${subject}`;
  if (n < answered || n > answered + 16 + 1 + 16) {
    throw new Error(`${answered} requests were answered 202 but ${n} rows were enqueued`);
  }
} finally {
  await removeRows();
  await Deno.remove(script);
  await sql.end();
}
