// Where scans meet the database. Each scan is decided, redeemed and logged by
// public.scan_tickets, in batches: the scans that arrive while the database is busy wait
// and then leave together, so under load one statement and one commit serve many scans,
// and scans of one ticket from two doors meet inside one transaction.
//
// Batches go down one connection, two at a time: the second waits in the server's input
// while the first runs, so the database never idles between batches, and since one
// session runs them one after the other, batches of one instance never wait on each
// other's row locks.
import { Batcher } from "../_shared/batch.ts";
import type { Sql } from "../_shared/db.ts";
import { sqlText } from "../_shared/sql_text.ts";
import type { CodeKind, Verdict } from "./verdict.ts";

export interface ScanInput {
  eventId: string;
  scannerId: string;
  deviceId: string;
  verdict: Verdict["verdict"];
  kind: CodeKind;
  ticketId: string | null;
  /** The code itself, for print and legacy codes (scan_tickets compares or looks it up). */
  code: string | null;
}

/** What scan_tickets answers for one scan: the JSON the scanner gets, or `forbidden`. */
export type ScanAnswer = { result: string } & Record<string, unknown>;

/** Enough to keep a batch's transaction short; more would only make its scans wait. */
const maxBatch = 32;
/** Postgres's SQLSTATE for a transaction it chose to abort to break a deadlock. */
const deadlockDetected = "40P01";

/** Batches out at once on the one connection: one running, one queued behind it. */
const batchesInFlight = 2;

export class ScanRecorder {
  readonly #batcher: Batcher<ScanInput, ScanAnswer>;
  #retried = 0;

  /**
   * `batches` must be a client of one connection (`connect(url, 1)`); `lookups` serves the
   * rare lookups a refused code needs, so they never queue behind a batch.
   */
  constructor(readonly batches: Sql, readonly lookups: Sql = batches) {
    this.#batcher = new Batcher(maxBatch, (scans) => this.#send(scans), batchesInFlight);
  }

  /** How many batches were sent again after Postgres broke a deadlock with them. */
  get retried(): number {
    return this.#retried;
  }

  /** Closes the connections. */
  async end(): Promise<void> {
    await Promise.all([this.batches.end(), this.lookups.end()]);
  }

  record(scan: ScanInput): Promise<ScanAnswer> {
    return this.#batcher.add(scan);
  }

  /** The event a ticket belongs to, or null for no such ticket. */
  async ticketEvent(ticketId: string): Promise<string | null> {
    const [row] = await this.lookups<
      { event_id: string | null }[]
    >`select public.ticket_event(${ticketId}) as event_id`;
    return row?.event_id ?? null;
  }

  async #send(scans: ScanInput[]): Promise<ScanAnswer[]> {
    const payload = JSON.stringify(scans.map((s) => ({
      event_id: s.eventId,
      scanner_id: s.scannerId,
      device_id: s.deviceId,
      verdict: s.verdict,
      kind: s.kind,
      ticket_id: s.ticketId,
      // A print code goes without its MAC, which the core has checked: the signed part
      // identifies the code (20261201000500_scan_codes_unlogged.sql) and is no secret.
      code: s.kind === "print" && s.code !== null ? s.code.slice(0, s.code.lastIndexOf(".")) : s.code,
    })));
    // Most batches are one value inlined (see sql_text.ts), so the call is one round trip.
    // A legacy code is the whole secret, and Postgres logs the text of a statement that
    // fails, so a batch with one goes as a bound parameter, at the cost of a second round
    // trip (postgres.js describes first); such batches are rare.
    const call = scans.some((s) => s.kind === "legacy")
      ? () =>
        this.batches<{ idx: number; scan: ScanAnswer }[]>`
          select idx, scan from public.scan_tickets((${payload}::text)::jsonb)`
      : () =>
        this.batches.unsafe<{ idx: number; scan: ScanAnswer }[]>(
          `select idx, scan from public.scan_tickets(${sqlText(payload)}::jsonb)`,
        );
    let rows;
    try {
      rows = await call();
    } catch (e) {
      // Batches lock tickets in one order, so they never cross each other, but another
      // transaction that locks several tickets in another order can close a cycle with a
      // batch. Postgres then rolls one back whole; it left no trace, so sending it again
      // is safe.
      if ((e as { code?: string }).code !== deadlockDetected) throw e;
      this.#retried++;
      rows = await call();
    }
    const answers: ScanAnswer[] = new Array(scans.length);
    for (const row of rows) answers[row.idx] = row.scan;
    if (rows.length !== scans.length || answers.includes(undefined as unknown as ScanAnswer)) {
      throw new Error(`scan_tickets answered ${rows.length} rows for ${scans.length} scans`);
    }
    return answers;
  }
}
