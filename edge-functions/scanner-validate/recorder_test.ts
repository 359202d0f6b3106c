// Batched scans against the real database: what one transaction decides for many scans,
// what two function instances decide when they race, and a deadlock survived.
import assert from "node:assert/strict";
import { connect } from "../_shared/db.ts";
import { QrKeys } from "../_shared/wasm.ts";
import { createEvent, createLegacyTicket, createTicket, type EventFixture } from "../../tests/support/fixtures.ts";
import { dbUrl, qrSigningKeys, repoRoot } from "../../tests/support/stack.ts";
import { type ScanInput, ScanRecorder } from "./recorder.ts";

const keys = new QrKeys(qrSigningKeys);

function scanOf(f: EventFixture, ticketId: string, deviceId: string, scannerId = f.scannerId): ScanInput {
  return { eventId: f.eventId, scannerId, deviceId, verdict: "ok", kind: "live", ticketId, code: null };
}

/** Resolves once some session waits for a row lock. */
async function waitForLockWait(sql: ReturnType<typeof connect>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [{ waiting }] = await sql<{ waiting: boolean }[]>`
      select exists (select 1 from pg_stat_activity where wait_event_type = 'Lock'
                      and query like '%scan_tickets%') as waiting`;
    if (waiting) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the batch never waited for the lock");
}

async function logged(sql: ReturnType<typeof connect>, ticketIds: string[]) {
  const [row] = await sql<{ scans: number; admitted: number }[]>`
    select count(*)::int as scans, count(*) filter (where result = 'redeemed')::int as admitted
      from public.ticket_scans where ticket_id = any(${ticketIds}::uuid[])`;
  return { ...row };
}

Deno.test("batched scans", async (t) => {
  const sql = connect(dbUrl, 4);
  const f = await createEvent(sql);

  await t.step("two doors' scans of one ticket in one batch: the first admits, the second is told", async () => {
    const recorder = new ScanRecorder(connect(dbUrl, 1));
    const { ticketId } = await createTicket(sql, keys, f);
    // Added in one tick, so they travel in one call.
    const [a, b] = await Promise.all([
      recorder.record(scanOf(f, ticketId, "door-1")),
      recorder.record(scanOf(f, ticketId, "door-2")),
    ]);
    assert.equal(a.result, "redeemed");
    assert.equal(b.result, "already_redeemed");
    assert.deepEqual(b.first_scan, { at: a.redeemed_at, device_id: "door-1" });
    assert.deepEqual(await logged(sql, [ticketId]), { scans: 2, admitted: 1 });
    await recorder.end();
  });

  await t.step("a stranger's scan in a batch is refused alone, unlogged", async () => {
    const recorder = new ScanRecorder(connect(dbUrl, 1));
    const { ticketId } = await createTicket(sql, keys, f);
    const [stranger, staff] = await Promise.all([
      recorder.record(scanOf(f, ticketId, "door-1", f.holderId)),
      recorder.record(scanOf(f, ticketId, "door-2")),
    ]);
    assert.deepEqual(stranger, { result: "forbidden" });
    assert.equal(staff.result, "redeemed");
    assert.deepEqual(await logged(sql, [ticketId]), { scans: 1, admitted: 1 });
    await recorder.end();
  });

  await t.step("one batch over several events decides each scan by its own event's settings", async () => {
    const recorder = new ScanRecorder(connect(dbUrl, 1));
    const legacyOk = await createEvent(sql, { allowLegacyCodes: true });
    const legacyOff = await createEvent(sql, { allowLegacyCodes: false });
    const liveOnly = await createEvent(sql, { requireLiveCodes: true });
    const [a, b] = await Promise.all([createLegacyTicket(sql, legacyOk), createLegacyTicket(sql, legacyOff)]);
    const printed = await createTicket(sql, keys, liveOnly);
    const live = await createTicket(sql, keys, legacyOff);
    const legacyScan = (e: EventFixture, code: string): ScanInput => ({
      eventId: e.eventId,
      scannerId: e.scannerId,
      deviceId: "door-1",
      verdict: "ok",
      kind: "legacy",
      ticketId: null,
      code,
    });
    const answers = await Promise.all([
      recorder.record(legacyScan(legacyOk, a.code)),
      recorder.record(legacyScan(legacyOff, b.code)),
      recorder.record({ ...scanOf(liveOnly, printed.ticketId, "door-1"), kind: "print", code: printed.code }),
      recorder.record(scanOf(legacyOff, live.ticketId, "door-1")),
      // Staff of one event are strangers at another.
      recorder.record(scanOf(legacyOk, live.ticketId, "door-1", legacyOff.scannerId)),
    ]);
    assert.deepEqual(answers.map((x) => x.result), [
      "redeemed",
      "legacy_code_disabled",
      "live_code_required",
      "redeemed",
      "forbidden",
    ]);
    await recorder.end();
  });

  await t.step("two function instances racing over 40 tickets at 4 doors admit each exactly once", async () => {
    const instances = [new ScanRecorder(connect(dbUrl, 1)), new ScanRecorder(connect(dbUrl, 1))];
    const tickets = await Promise.all(Array.from({ length: 40 }, () => createTicket(sql, keys, f)));
    const ids = tickets.map((x) => x.ticketId);
    const scans = ids.flatMap((id) => [0, 1, 2, 3].map((door) => ({ id, door })));
    // Waves of scans, so batches in both instances overlap and wait on each other's locks.
    const results: string[] = [];
    for (let wave = 0; wave < scans.length; wave += 40) {
      const answers = await Promise.all(
        scans.slice(wave, wave + 40).map(({ id, door }) => instances[door % 2].record(scanOf(f, id, `door-${door}`))),
      );
      results.push(...answers.map((a) => a.result));
    }
    assert.equal(results.filter((r) => r === "redeemed").length, 40);
    assert.equal(results.filter((r) => r === "already_redeemed").length, 120);
    assert.deepEqual(await logged(sql, ids), { scans: 160, admitted: 40 });
    await Promise.all(instances.map((i) => i.end()));
  });

  await t.step("a batch Postgres aborts to break a deadlock is sent again, and nothing is logged twice", async () => {
    const recorder = new ScanRecorder(connect(dbUrl, 1));
    const tickets = await Promise.all([createTicket(sql, keys, f), createTicket(sql, keys, f)]);
    // The batch locks in ticket order: `first` and then `second`.
    const [first, second] = tickets.map((x) => x.ticketId).sort();
    const other = connect(dbUrl, 1);
    const batch = other.begin(async (tx) => {
      await tx`select 1 from public.tickets where id = ${second} for update`;
      const answers = Promise.all([
        recorder.record(scanOf(f, first, "door-1")),
        recorder.record(scanOf(f, second, "door-1")),
      ]);
      // Once the batch holds `first` and waits behind this transaction for `second`, close
      // the cycle. Postgres aborts the batch, which waited first.
      await waitForLockWait(sql);
      await tx`select 1 from public.tickets where id = ${first} for update`;
      // Wrapped, so the transaction commits without waiting for the batch it holds up.
      return { answers };
    });
    const answers = await (await batch).answers;
    assert.equal(recorder.retried, 1, "the batch was aborted once and sent again");
    assert.deepEqual(answers.map((a) => a.result), ["redeemed", "redeemed"]);
    assert.deepEqual(await logged(sql, [first, second]), { scans: 2, admitted: 2 });
    await Promise.all([recorder.end(), other.end()]);
  });

  await t.step(
    "a batch waits at most 2 s for a row another transaction holds, then fails with nothing done",
    async () => {
      const recorder = new ScanRecorder(connect(dbUrl, 1));
      const { ticketId } = await createTicket(sql, keys, f);
      const other = connect(dbUrl, 1);
      await other.begin(async (tx) => {
        await tx`select 1 from public.tickets where id = ${ticketId} for update`;
        await assert.rejects(
          recorder.record(scanOf(f, ticketId, "door-1")),
          (e: { code?: string }) => e.code === "55P03",
        );
      });
      assert.deepEqual(await logged(sql, [ticketId]), { scans: 0, admitted: 0 });
      assert.equal((await recorder.record(scanOf(f, ticketId, "door-1"))).result, "redeemed");
      await Promise.all([recorder.end(), other.end()]);
    },
  );

  await t.step("a failed batch leaves no print code, MAC or legacy code in the Postgres log", async () => {
    const recorder = new ScanRecorder(connect(dbUrl, 1));
    const logStart = (await Deno.stat(postgresLog)).size;
    const print = await createTicket(sql, keys, f);
    const legacy = await createLegacyTicket(sql, f);
    await sql`update public.events set allow_legacy_codes = true where id = ${f.eventId}`;
    const other = connect(dbUrl, 1);
    for (const [ticket, kind] of [[print, "print"], [legacy, "legacy"]] as const) {
      await other.begin(async (tx) => {
        await tx`select 1 from public.tickets where id = ${ticket.ticketId} for update`;
        const scan: ScanInput = {
          ...scanOf(f, ticket.ticketId, "door-1"),
          kind,
          ticketId: kind === "print" ? ticket.ticketId : null,
          code: ticket.code,
        };
        await assert.rejects(recorder.record(scan), (e: { code?: string }) => e.code === "55P03");
      });
    }
    await sql`update public.events set allow_legacy_codes = false where id = ${f.eventId}`;
    // Only what Postgres wrote during this step.
    const log = new TextDecoder().decode((await Deno.readFile(postgresLog)).subarray(logStart));
    assert.equal(
      log.match(/STATEMENT:\s+select idx, scan from public\.scan_tickets/g)?.length,
      2,
      "both failed statements were logged",
    );
    const mac = print.code.slice(print.code.lastIndexOf(".") + 1);
    assert.ok(!log.includes(mac), "the print code's MAC is not in the log");
    assert.ok(!log.includes(hexOf(mac)), "nor written as hex");
    assert.ok(!log.includes(hexOf(legacy.code)) && !log.includes(legacy.code), "nor the legacy code");
    await Promise.all([recorder.end(), other.end()]);
  });

  await sql.end();
});

/** Where `make up` has PostgreSQL write its log (tools/local/postgres.sh). */
const postgresLog = `${Deno.env.get("USHER_LOCAL_DIR") ?? `${repoRoot}.local`}/pg/log`;

function hexOf(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");
}
