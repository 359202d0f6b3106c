// The ticket QR walk-through: signed and live codes, one admission per ticket, and every
// kind of bad code refused, through the real scanner function and database. The demo event
// has fixed ids and starts each run from nothing, so a re-run shows the same counts.
import postgres from "npm:postgres@3.4.9";
import { issueTicket } from "../../edge-functions/_shared/tickets.ts";
import { generateQrKey, liveIat, QrKeys, signLive } from "../../edge-functions/_shared/wasm.ts";
import { fn, functionsUrl, qrSigningKeys, seedUsers, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";

const keys = new QrKeys(qrSigningKeys);
const sql = postgres(stackEnv.SUPABASE_DB_URL, { max: 2, onnotice: () => {} });
const now = () => Math.floor(Date.now() / 1000);
const demo = {
  eventId: "10000000-0000-4000-8000-00000000d000",
  orderId: "20000000-0000-4000-8000-00000000d000",
  ticketId: "",
  code: "",
};

/**
 * Removes what an earlier run left for exploring: the demo event's scans, tickets and
 * order, then the event itself (its staff go with it). Run first, so every count the demo
 * shows is the same from one run to the next.
 */
export async function removeDemoEvent(): Promise<void> {
  await sql`delete from public.ticket_scans where event_id = ${demo.eventId}`;
  await sql`delete from public.tickets where event_id = ${demo.eventId}`;
  await sql`delete from public.orders where id = ${demo.orderId}`;
  await sql`delete from public.events where id = ${demo.eventId}`;
}

/** What answers a scan: the running function through the gateway, or one started here. */
type Scanner = (req: Request) => Promise<Response>;

async function scan(as: string, code: string, deviceId: string, scanner: Scanner = fetch): Promise<
  Record<string, unknown>
> {
  const res = await scanner(
    new Request(`${functionsUrl}/scanner-validate`, {
      method: "POST",
      headers: { authorization: `Bearer ${await userJwt(as)}`, "content-type": "application/json" },
      body: JSON.stringify({ code, event_id: demo.eventId, device_id: deviceId }),
    }),
  );
  return await res.json();
}

/**
 * The scanner function as it starts after `supabase secrets set QR_SIGNING_KEYS=<ring>` and
 * a redeploy: a fresh instance of its module (the query string makes it one) that reads
 * its configuration at start-up, as the gateway loads it.
 */
async function scannerWith(ring: string): Promise<Scanner> {
  for (const [name, value] of Object.entries(stackEnv)) Deno.env.set(name, value);
  Deno.env.set("QR_SIGNING_KEYS", ring);
  const entry = new URL(
    `../../edge-functions/scanner-validate/index.ts?ring=${encodeURIComponent(ring)}`,
    import.meta.url,
  );
  return (await import(entry.href)).default.fetch;
}

function short(code: string): string {
  return code.length > 40 ? `${code.slice(0, 24)}…${code.slice(-8)}` : code;
}

export const qrSteps: Step[] = [
  {
    title: "a ticket is issued with a signed print code",
    async run(say) {
      await sql`insert into public.events (id, name, starts_at) values (${demo.eventId}, 'Demo night', now())`;
      await sql`insert into public.event_staff (event_id, user_id, role) values
        (${demo.eventId}, ${seedUsers.doorNorth}, 'scanner'), (${demo.eventId}, ${seedUsers.doorSouth}, 'scanner')`;
      await sql`insert into public.orders (id, user_id, event_id, status, amount_cents)
        values (${demo.orderId}, ${seedUsers.ada}, ${demo.eventId}, 'paid', 4200)`;
      const t = await issueTicket(sql, keys, { orderId: demo.orderId, eventId: demo.eventId, userId: seedUsers.ada });
      Object.assign(demo, t);
      say(`ticket ${t.ticketId}`);
      say(`print code ${t.code} (${t.code.length} characters)`);
      return `signed with key ${keys.activeKid}, HMAC-SHA256/128`;
    },
  },
  {
    title: "the holder's phone shows a live code that rotates every 30 s, and door north admits it",
    async run(say) {
      const t = await issueTicket(sql, keys, { orderId: demo.orderId, eventId: demo.eventId, userId: seedUsers.ada });
      const res = await fn(`ticket-display-key?ticket_id=${t.ticketId}`, {}, await userJwt(seedUsers.ada));
      const { kid, key } = await res.json();
      expect(res.status === 200, `display key: ${res.status}`);
      const at = liveIat(now());
      const live = signLive(key, kid, t.ticketId, demo.eventId, at);
      const next = signLive(key, kid, t.ticketId, demo.eventId, at + 30);
      say(`at ${at}: ${short(live)}`);
      say(`at ${at + 30}: ${short(next)}`);
      expect(live !== next, "live codes did not rotate");
      const scanned = await scan(seedUsers.doorNorth, live, "north-1");
      say(`door north scans the code on screen → ${JSON.stringify(scanned)}`);
      expect(scanned.result === "redeemed", `got ${scanned.result}`);
      return "display key fetched once by the owner; codes computed offline; the live one redeemed";
    },
  },
  {
    title: "door north admits the ticket, and sees the same phone again as a rescan",
    async run(say) {
      const first = await scan(seedUsers.doorNorth, demo.code, "north-1");
      const again = await scan(seedUsers.doorNorth, demo.code, "north-1");
      say(`scan 1 → ${JSON.stringify(first)}`);
      say(`scan 2 → ${again.result}`);
      expect(first.result === "redeemed" && again.result === "rescan", "unexpected results");
      return "redeemed, then rescan (not an alarm)";
    },
  },
  {
    title: "door south is refused: already admitted, with when and where",
    async run(say) {
      const res = await scan(seedUsers.doorSouth, demo.code, "south-1");
      say(`→ ${JSON.stringify(res)}`);
      expect(res.result === "already_redeemed", `got ${res.result}`);
      return `already_redeemed at north-1`;
    },
  },
  {
    title: "forged, tampered and expired codes are refused",
    async run(say) {
      const t = await issueTicket(sql, keys, { orderId: demo.orderId, eventId: demo.eventId, userId: seedUsers.ada });
      const forger = new QrKeys(`${keys.activeKid}:${"A".repeat(43)}`);
      const forged = forger.signPrint(t.ticketId, demo.eventId, now());
      const tampered = t.code.replace(/\.(\d+)\./, (_, iat) => `.${Number(iat) + 1}.`);
      const { kid, key } = keys.displayKey(t.ticketId, demo.eventId);
      const stale = signLive(key, kid, t.ticketId, demo.eventId, liveIat(now() - 400));
      const results = [];
      for (const [name, code] of [["forged", forged], ["tampered", tampered], ["expired live", stale]]) {
        const r = await scan(seedUsers.doorNorth, code, "north-1");
        say(`${name.padEnd(12)} ${short(code)} → ${r.result}`);
        results.push(r.result);
      }
      expect(results.join() === "invalid_signature,invalid_signature,expired", results.join());
      return results.join(", ");
    },
  },
  {
    title: "legacy 8-character codes: accepted while the event allows them, refused after",
    async run(say) {
      const legacy = async () => {
        const code = crypto.randomUUID().replace(/-/g, "").slice(0, 8).toUpperCase();
        await sql`insert into public.tickets (order_id, event_id, user_id, qr_code)
          values (${demo.orderId}, ${demo.eventId}, ${seedUsers.ada}, ${code})`;
        return code;
      };
      const allowed = await scan(seedUsers.doorNorth, await legacy(), "north-1");
      await sql`update public.events set allow_legacy_codes = false where id = ${demo.eventId}`;
      const refused = await scan(seedUsers.doorNorth, await legacy(), "north-1");
      say(`allowed → ${allowed.result}; after allow_legacy_codes = false → ${refused.result}`);
      expect(allowed.result === "redeemed" && refused.result === "legacy_code_disabled", "legacy setting ignored");
      return "redeemed, then legacy_code_disabled";
    },
  },
  {
    title: "key rotation, through the scanner: a new key signs, the old verifies during the grace, then not",
    async run(say) {
      const next = generateQrKey("next");
      const ring = `${next},${qrSigningKeys}`;
      const ticket = (signer: QrKeys) =>
        issueTicket(sql, signer, { orderId: demo.orderId, eventId: demo.eventId, userId: seedUsers.ada });
      const [before, signedByNext, retired] = [await ticket(keys), await ticket(new QrKeys(ring)), await ticket(keys)];
      const during = await scannerWith(ring), after = await scannerWith(next);
      const a = await scan(seedUsers.doorNorth, before.code, "north-1", during);
      const b = await scan(seedUsers.doorNorth, signedByNext.code, "north-1", after);
      const c = await scan(seedUsers.doorNorth, retired.code, "north-1", after);
      say(`QR_SIGNING_KEYS=next,${keys.activeKid}: a ${keys.activeKid} code → ${a.result}`);
      say(`QR_SIGNING_KEYS=next: a code signed by next → ${b.result}; a ${keys.activeKid} code → ${c.result}`);
      expect([a.result, b.result, c.result].join() === "redeemed,redeemed,unknown_key", "rotation semantics broken");
      const [{ n }] = await sql`select count(*)::int as n from public.ticket_scans where event_id = ${demo.eventId}`;
      return `redeemed during, unknown_key after; ${n} scan attempts logged for the demo event`;
    },
  },
];
