// The ticket QR walk-through: signed and live codes, one admission per ticket, and every
// kind of bad code refused, through the real gateway and database.
import postgres from "npm:postgres@3.4.9";
import { issueTicket } from "../../edge-functions/_shared/tickets.ts";
import { generateQrKey, liveIat, QrKeys, signLive } from "../../edge-functions/_shared/wasm.ts";
import { fn, qrSigningKeys, seedUsers, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";

const keys = new QrKeys(qrSigningKeys);
const sql = postgres(stackEnv.SUPABASE_DB_URL, { max: 2, onnotice: () => {} });
const now = () => Math.floor(Date.now() / 1000);
const demo = { eventId: crypto.randomUUID(), orderId: crypto.randomUUID(), ticketId: "", code: "" };

async function scan(as: string, code: string, deviceId: string): Promise<Record<string, unknown>> {
  const res = await fn("scanner-validate", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, event_id: demo.eventId, device_id: deviceId }),
  }, await userJwt(as));
  return await res.json();
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
    title: "the holder's phone shows a live code that rotates every 30 s",
    async run(say) {
      const res = await fn(`ticket-display-key?ticket_id=${demo.ticketId}`, {}, await userJwt(seedUsers.ada));
      const { kid, key } = await res.json();
      expect(res.status === 200, `display key: ${res.status}`);
      const t = liveIat(now());
      const a = signLive(key, kid, demo.ticketId, demo.eventId, t);
      const b = signLive(key, kid, demo.ticketId, demo.eventId, t + 30);
      say(`at ${t}: ${short(a)}`);
      say(`at ${t + 30}: ${short(b)}`);
      expect(a !== b, "live codes did not rotate");
      return "display key fetched once by the owner; codes computed offline";
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
    title: "key rotation: the old key verifies during the grace, a retired one does not",
    async run(say) {
      const t = await issueTicket(sql, keys, { orderId: demo.orderId, eventId: demo.eventId, userId: seedUsers.ada });
      const next = generateQrKey("next");
      const during = new QrKeys(`${next},${qrSigningKeys}`);
      const after = new QrKeys(next);
      const a = during.verify(t.code, demo.eventId, now());
      const b = after.verify(t.code, demo.eventId, now());
      say(`ring "next,${keys.activeKid}" → ${a.ok ? "ok" : a.reason}; ring "next" → ${b.ok ? "ok" : b.reason}`);
      expect(a.ok && !b.ok && b.reason === "unknown_key", "rotation semantics broken");
      const [{ n }] = await sql`select count(*)::int as n from public.ticket_scans where event_id = ${demo.eventId}`;
      return `ok during, unknown_key after; ${n} scan attempts logged for the demo event`;
    },
  },
];
