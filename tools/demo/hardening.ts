// The holes closed after the first features were tried as a new user and as an attacker
// would: checkout retries that create nothing twice, a stranger's flood of the doors'
// function held back, input Postgres would refuse or alter turned away at the edge, and no
// client role able to touch a sequence.
import { functionsUrl, seedUsers, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";
import { withDemoUser } from "./ratelimit.ts";

const planetarium = "10000000-0000-4000-8000-000000000001";

function post(name: string, token: string, body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${functionsUrl}/${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body,
  });
}

export const hardeningSteps: Step[] = [
  {
    title: "a checkout retried with the same Idempotency-Key answers the same order; another body is refused",
    run: (say) =>
      withDemoUser(async (userId, sql) => {
        const token = await userJwt(userId);
        const key = { "idempotency-key": `demo-${crypto.randomUUID()}` };
        const body = JSON.stringify({ event_id: planetarium, quantity: 2 });
        const first = await post("create-checkout", token, body, key);
        const again = await post("create-checkout", token, body, key);
        const [a, b] = [await first.json(), await again.json()];
        say(`first → ${first.status} order ${a.order_id}`);
        say(
          `retry → ${again.status} order ${b.order_id} (idempotent-replayed: ${
            again.headers.get("idempotent-replayed")
          })`,
        );
        const other = await post("create-checkout", token, JSON.stringify({ event_id: planetarium, quantity: 3 }), key);
        say(`same key, 3 tickets → ${other.status} ${JSON.stringify(await other.json())}`);
        const [{ n }] = await sql`select count(*)::int as n from public.orders where user_id = ${userId}`;
        say(`orders for the user: ${n}`);
        expect(a.order_id === b.order_id && other.status === 422 && n === 1, "the retry made a second order");
        return "one order, one session; the key with another body is a 422";
      }),
  },
  {
    title: "a stranger floods scanner-validate with 300 scans: held back after 30, while a door is still answered",
    run: (say) =>
      withDemoUser(async (userId) => {
        const stranger = await userJwt(userId);
        const scan = JSON.stringify({ code: "v1.p.forged", event_id: planetarium, device_id: "not-a-door" });
        const statuses = new Map<number, number>();
        for (let i = 0; i < 300; i++) {
          const res = await post("scanner-validate", stranger, scan);
          await res.body?.cancel();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
        say(`stranger: ${[...statuses].map(([s, n]) => `${n} × ${s}`).join(", ")}`);
        const door = await post(
          "scanner-validate",
          await userJwt(seedUsers.doorNorth),
          JSON.stringify({ code: "v1.p.unknown", event_id: planetarium, device_id: "north-1" }),
        );
        say(`door north meanwhile → ${door.status} ${JSON.stringify(await door.json())}`);
        expect((statuses.get(403) ?? 0) <= 31 && door.status === 200, "the flood was not held back");
        return `${statuses.get(403)} refused scans decided, ${statuses.get(429)} turned away before any work`;
      }),
  },
  {
    title: "input Postgres would refuse or alter is turned away with a 400 naming the problem",
    run: async (say) => {
      const service = stackEnv.SUPABASE_SERVICE_ROLE_KEY;
      const nul = await post(
        "send-push",
        service,
        JSON.stringify({
          user_id: seedUsers.ada,
          token: "ExponentPushToken[demo]",
          title: "Doors\u0000open",
          body: "",
        }),
      );
      const nulBody = await nul.json();
      say(`push with a NUL in its title → ${nul.status} ${JSON.stringify(nulBody)}`);
      const broken = await post(
        "scanner-validate",
        await userJwt(seedUsers.doorNorth),
        new Uint8Array([0x7b, 0xff, 0x7d]),
      );
      const brokenBody = await broken.json();
      say(`scan with invalid UTF-8 → ${broken.status} ${JSON.stringify(brokenBody)}`);
      expect(
        nulBody.error?.field === "title" && brokenBody.error?.code === "invalid_encoding",
        "not refused as designed",
      );
      return "400 invalid_field (title) and 400 invalid_encoding";
    },
  },
  {
    title: "no client role can reach a sequence: anon's setval on the scan log's ids is refused",
    run: (say) =>
      withDemoUser(async (_userId, sql) => {
        const outcome = await sql.begin(async (tx) => {
          await tx`set local role anon`;
          return await tx`select setval('public.ticket_scans_id_seq', 1)`.then(() => "allowed", (e) => e.code);
        }).catch((e) => e.code);
        say(`as anon: select setval('public.ticket_scans_id_seq', 1) → SQLSTATE ${outcome}`);
        expect(outcome === "42501", `setval was ${outcome}`);
        return "42501 permission denied; scans keep their ids";
      }),
  },
];
