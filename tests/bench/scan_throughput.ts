// Scans per second end to end (client → gateway → scanner-validate → wasm → scan_ticket),
// with 8 and 32 scanners at once, against the ceiling pgbench reaches on the same Postgres
// with a bare single-row `UPDATE … WHERE redeemed_at IS NULL`. Every ticket is scanned
// twice, by different doors, so the run also proves there is no double redemption.
import { connect } from "../../edge-functions/_shared/db.ts";
import { QrKeys } from "../../edge-functions/_shared/wasm.ts";
import { createEvent, createTicket } from "../support/fixtures.ts";
import { dbUrl, fn, qrSigningKeys, userJwt } from "../support/stack.ts";
import { report } from "./lib/report.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 8);
const sql = connect(dbUrl, 4);
const keys = new QrKeys(qrSigningKeys);

async function pgbenchTps(clients: number): Promise<number> {
  await sql`create schema if not exists bench`;
  await sql`drop table if exists bench.redeem`;
  await sql`create table bench.redeem (id int primary key, redeemed_at timestamptz)`;
  await sql`insert into bench.redeem (id) select generate_series(1, 1000000)`;
  await sql`vacuum analyze bench.redeem`;
  const script = await Deno.makeTempFile({ suffix: ".sql" });
  await Deno.writeTextFile(script, "\\set id random(1, 1000000)\n" +
    "UPDATE bench.redeem SET redeemed_at = now() WHERE id = :id AND redeemed_at IS NULL;\n");
  const out = await new Deno.Command("pgbench", {
    args: ["-n", "-c", String(clients), "-j", "2", "-T", String(seconds), "-f", script, dbUrl],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(script);
  await sql`drop schema bench cascade`;
  const text = new TextDecoder().decode(out.stdout);
  const tps = /tps = ([\d.]+)/.exec(text);
  if (!out.success || !tps) throw new Error(`pgbench failed: ${new TextDecoder().decode(out.stderr)}`);
  return Number(tps[1]);
}

async function scansPerSecond(clients: number): Promise<{ rate: number; doubles: number; scans: number }> {
  const f = await createEvent(sql);
  const token = await userJwt(f.scannerId);
  // Enough tickets that the run never runs out; each appears twice in the queue, adjacent,
  // so two doors race for it.
  const tickets = [];
  for (let i = 0; i < Math.ceil(seconds * 1500); i++) tickets.push((await createTicket(sql, keys, f)).code);
  const queue = tickets.flatMap((c) => [c, c]);
  let next = 0;
  let scans = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, door) => {
    while (performance.now() < deadline && next < queue.length) {
      const code = queue[next++];
      const res = await fn("scanner-validate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code, event_id: f.eventId, device_id: `door-${door}` }),
      }, token);
      if (res.status !== 200) throw new Error(`scan answered ${res.status}: ${await res.text()}`);
      await res.body?.cancel();
      scans++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const [{ doubles }] = await sql<{ doubles: number }[]>`
    select count(*)::int as doubles from (
      select ticket_id from public.ticket_scans where event_id = ${f.eventId} and result = 'redeemed'
      group by ticket_id having count(*) > 1) d`;
  return { rate: scans / elapsed, doubles, scans };
}

try {
  for (const clients of [8, 32]) {
    const ceiling = await pgbenchTps(clients);
    const ours = await scansPerSecond(clients);
    report(`pgbench_bare_update_tps_c${clients}`, ceiling.toFixed(0), "tps");
    report(`scans_per_second_c${clients}`, ours.rate.toFixed(0), `scans/s (${ours.scans} scans)`);
    report(`scans_over_pgbench_c${clients}`, ((100 * ours.rate) / ceiling).toFixed(1), "% (target ≥ 25)");
    report(`double_redemptions_c${clients}`, String(ours.doubles), "(must be 0)");
    if (ours.doubles !== 0) throw new Error("a ticket was redeemed twice");
  }
} finally {
  await sql.end();
}
