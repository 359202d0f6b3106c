// E-mails delivered per second through the fake Resend at its default 2 requests per second:
// one processor run (runProcessor with the real ResendClient) over a queue of its own whose
// provider slot allows 2 requests a second and whose e-mail limits are out of the way, N
// e-mails to distinct recipients, batched 100 to a request. The peer is the ceiling of one
// request per e-mail at the same rate, 2 e-mails a second. The run checks that the fake
// delivered each e-mail exactly once, and counts the requests it answered with a 429 (the
// target is none: the provider slot, not the provider's refusals, should pace the requests).
// The processor starts cold, as each run of process-email-queue does.
//   deno run --allow-all tests/bench/email_delivery.ts
import { connect } from "../../edge-functions/_shared/db.ts";
import { logger } from "../../edge-functions/_shared/log.ts";
import { ResendClient } from "../../edge-functions/_shared/providers/resend.ts";
import { runProcessor, type Sender } from "../../edge-functions/process-email-queue/processor.ts";
import { startFakeResend } from "../fakes/resend.ts";
import { counts, createQueue, dropQueue, enqueueBulk } from "../support/email.ts";
import { dbUrl } from "../support/stack.ts";
import { report } from "./lib/report.ts";

const emails = Number(Deno.env.get("BENCH_EMAILS") ?? 2000);
const requestsPerSecond = 2;

const sql = connect(dbUrl, 5);
const fake = startFakeResend({ requestsPerSecond });
const queue = await createQueue(sql, {
  globalPerMinute: 1_000_000,
  recipientPerMinute: 1_000_000,
  providerRequestsPerSecond: requestsPerSecond,
  batchSize: 100,
});

try {
  await enqueueBulk(sql, queue, emails);
  const resend = new ResendClient(fake.url, "re_bench", "Usher <tickets@usher.example>");
  // The real client, with the refusals it meets counted on the way.
  const refusals: string[] = [];
  const sender: Sender = {
    from: resend.from,
    async send(key, batch, isBatch, from) {
      const outcome = await resend.send(key, batch, isBatch, from);
      if (!outcome.ok) refusals.push(outcome.summary);
      return outcome;
    },
  };
  const started = performance.now();
  const run = await runProcessor({ sql, sender, log: logger({ bench: queue }, () => {}) }, {
    worker: `bench/${queue}`,
    queue,
    // Five times what the slot needs, so a run that falls back to one request per e-mail
    // ends (and fails) in a minute or so rather than in a quarter of an hour.
    budgetMs: Math.max(30_000, (5 * 1000 * emails) / (100 * requestsPerSecond)),
    sendMs: 10_000,
  });
  const seconds = (performance.now() - started) / 1000;

  const health = await counts(sql, queue);
  const recipients = new Set(fake.deliveries.flatMap((d) => d.to));
  const tooMany = refusals.filter((r) => r.startsWith("429")).length;
  if (health.sent !== emails || run.sent !== emails) throw new Error(`${health.sent} of ${emails} e-mails were sent`);
  if (fake.deliveries.length !== emails || recipients.size !== emails) {
    throw new Error(
      `the fake made ${fake.deliveries.length} deliveries to ${recipients.size} recipients, not ${emails}`,
    );
  }
  const rate = emails / seconds;
  report(
    "email_delivery_2rps",
    rate.toFixed(0),
    `e-mails/s (${emails} e-mails in ${fake.requests.length} requests, ${seconds.toFixed(1)} s)`,
  );
  report("email_delivery_2rps_one_request_per_email", String(requestsPerSecond), "e-mails/s (the peer: the ceiling)");
  report("email_delivery_2rps_vs_one_request_per_email", (rate / requestsPerSecond).toFixed(1), "ratio (target > 1)");
  // A 429 costs a request slot and a retry of the send's attempts, but delivers nothing
  // twice: a target, not a failure. Any other refusal means the run is not what it claims.
  report("email_delivery_2rps_429s", String(tooMany), "(target 0)");
  const others = refusals.filter((r) => !r.startsWith("429"));
  if (others.length > 0) throw new Error(`the fake refused ${others.length} requests: ${others.join(", ")}`);
} finally {
  await dropQueue(sql, queue);
  await fake.close();
  await sql.end();
}
