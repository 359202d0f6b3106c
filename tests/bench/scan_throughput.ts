// Scans per second end to end (wrk → gateway → scanner-validate → wasm → scan_tickets),
// with 8 and 32 scanners at once, against the ceiling pgbench reaches on the same Postgres
// with a bare single-row `UPDATE … WHERE redeemed_at IS NULL`. Every ticket is scanned
// once by each of wrk's two threads, at two doors, so the run also proves there is no
// double redemption.
import { connect } from "../../edge-functions/_shared/db.ts";
import { QrKeys } from "../../edge-functions/_shared/wasm.ts";
import { createEvent, type EventFixture } from "../support/fixtures.ts";
import { dbUrl, functionsUrl, qrSigningKeys, userJwt } from "../support/stack.ts";
import { pgbench as runPgbench } from "./lib/pgbench.ts";
import { report } from "./lib/report.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 8);
const sql = connect(dbUrl, 4);
const keys = new QrKeys(qrSigningKeys);

const pgbench = (clients: number, script: string) => runPgbench(dbUrl, clients, seconds, script);

/** The ceiling the issue names: a bare single-row UPDATE … WHERE redeemed_at IS NULL. */
async function bareUpdateTps(clients: number): Promise<number> {
  await sql`create schema if not exists bench`;
  await sql`drop table if exists bench.redeem`;
  await sql`create table bench.redeem (id int primary key, redeemed_at timestamptz)`;
  await sql`insert into bench.redeem (id) select generate_series(1, 1000000)`;
  await sql`vacuum analyze bench.redeem`;
  try {
    return await pgbench(
      clients,
      "\\set id random(1, 1000000)\n" +
        "UPDATE bench.redeem SET redeemed_at = now() WHERE id = :id AND redeemed_at IS NULL;\n",
    );
  } finally {
    await sql`drop schema bench cascade`;
  }
}

/**
 * A middle figure that says where the time goes: scan_ticket, a batch of one (staff check, row
 * lock, redemption, log insert) called by pgbench, with no HTTP, JWT or wasm in front.
 */
async function scanTicketTps(clients: number): Promise<number> {
  const f = await createEvent(sql);
  await sql`create schema if not exists bench`;
  await sql`create table bench.ids as select n, gen_random_uuid() as id from generate_series(1, 100000) n`;
  await sql`create index on bench.ids (n)`;
  await sql`insert into public.tickets (id, order_id, event_id, user_id)
    select id, ${f.orderId}, ${f.eventId}, ${f.holderId} from bench.ids`;
  try {
    return await pgbench(
      clients,
      "\\set n random(1, 100000)\n" +
        `select public.scan_ticket('${f.eventId}', '${f.scannerId}', 'd', 'ok', 'live', ` +
        "(select id from bench.ids where n = :n), null);\n",
    );
  } finally {
    await sql`drop schema bench cascade`;
    await removeEvent(f);
  }
}

/** Signed print codes for `count` new tickets of the event. */
async function ticketCodes(f: EventFixture, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  const now = Math.floor(Date.now() / 1000);
  const codes = ids.map((id) => keys.signPrint(id, f.eventId, now));
  await sql`insert into public.tickets (id, order_id, event_id, user_id, qr_code_signed)
    select id, ${f.orderId}, ${f.eventId}, ${f.holderId}, code from unnest(${ids}::uuid[], ${codes}::text[]) as t(id, code)`;
  return codes;
}

// The load comes from wrk, a C client like pgbench, so that neither side of the ratio
// pays for a heavy client on the same two cores.
async function wrk(clients: number, runSeconds: number, codes: string[], f: EventFixture): Promise<number> {
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(file, codes.join("\n") + "\n");
  const out = await new Deno.Command("wrk", {
    args: [
      "-t",
      "2",
      "-c",
      String(clients),
      "-d",
      `${runSeconds}s`,
      "-s",
      new URL("./lib/scan.lua", import.meta.url).pathname,
      `${functionsUrl}/scanner-validate`,
    ],
    env: { SCAN_CODES: file, SCAN_EVENT: f.eventId, SCAN_TOKEN: await userJwt(f.scannerId, 600) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(file);
  const text = new TextDecoder().decode(out.stdout);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!out.success || !rate) throw new Error(`wrk failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  if (/Non-2xx/.test(text)) throw new Error(`some scans were not answered 200:\n${text}`);
  return Number(rate[1]);
}

interface ScanRun {
  rate: number;
  scans: number;
  doubles: number;
  /** The share of scanned tickets that both doors scanned: the race the run claims. */
  racedPct: number;
}

async function scansPerSecond(clients: number): Promise<ScanRun> {
  // A short run first on tickets of its own, so the function's JIT and the database's
  // caches are warm when the measured run starts, as pgbench's server already is.
  const warm = await createEvent(sql);
  await wrk(clients, 2, await ticketCodes(warm, 20000), warm);
  await removeEvent(warm);
  const f = await createEvent(sql);
  // More tickets than the run can scan, so no code is scanned more than once per thread.
  const rate = await wrk(clients, seconds, await ticketCodes(f, seconds * 10000), f);
  const [row] = await sql<Omit<ScanRun, "rate">[]>`
    with per_ticket as (
      select ticket_id, count(*) as scans, count(*) filter (where result = 'redeemed') as admitted
        from public.ticket_scans where event_id = ${f.eventId} group by ticket_id)
    select sum(scans)::int as scans,
           (count(*) filter (where admitted > 1))::int as doubles,
           round(100.0 * count(*) filter (where scans > 1) / count(*), 1)::float8 as "racedPct"
      from per_ticket`;
  await removeEvent(f);
  return { rate, ...row };
}

/** Drops a run's tickets and scans, so every run of `make bench` starts from the same tables. */
async function removeEvent(f: EventFixture): Promise<void> {
  await sql`delete from public.ticket_scans where event_id = ${f.eventId}`;
  await sql`delete from public.tickets where event_id = ${f.eventId}`;
  await sql`vacuum analyze public.tickets, public.ticket_scans`;
}

try {
  for (const clients of [8, 32]) {
    const ceiling = await bareUpdateTps(clients);
    const sqlOnly = await scanTicketTps(clients);
    const ours = await scansPerSecond(clients);
    report(`pgbench_bare_update_tps_c${clients}`, ceiling.toFixed(0), "tps");
    report(
      `pgbench_scan_ticket_tps_c${clients}`,
      sqlOnly.toFixed(0),
      `tps (${((100 * sqlOnly) / ceiling).toFixed(1)} % of bare)`,
    );
    report(`scans_per_second_c${clients}`, ours.rate.toFixed(0), `scans/s (${ours.scans} scans)`);
    report(`scans_over_pgbench_c${clients}`, ((100 * ours.rate) / ceiling).toFixed(1), "% (target ≥ 25)");
    report(`double_redemptions_c${clients}`, String(ours.doubles), "(must be 0)");
    report(`tickets_scanned_at_both_doors_c${clients}`, ours.racedPct.toFixed(1), "%");
    if (ours.doubles !== 0) throw new Error("a ticket was redeemed twice");
    // Both threads walk the same codes in order; only the last few before the run ends are
    // scanned once. Anything less means the run did not race what it claims to.
    if (ours.racedPct < 90) throw new Error(`only ${ours.racedPct} % of tickets were scanned at both doors`);
  }
} finally {
  await sql.end();
}
