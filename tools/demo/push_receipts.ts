// Push receipts: a push is accepted by the fake Expo, the receipts job asks for its receipt,
// the fake calls the device unregistered, the job records the error and retires the token,
// and send-push refuses the token from then on (docs/push-receipts.md).
import { connect } from "../../edge-functions/_shared/db.ts";
import { dbUrl, fn, stackEnv } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";

const fakePush = `http://127.0.0.1:${Deno.env.get("USHER_FAKE_PUSH_PORT") ?? 54411}`;
const service = { authorization: `Bearer ${stackEnv.SUPABASE_SERVICE_ROLE_KEY}`, "content-type": "application/json" };

export const pushReceiptSteps: Step[] = [
  {
    title: "push receipts: the job asks the provider, records the error and retires a device it calls unregistered",
    run: async (say) => {
      const sql = connect(dbUrl, 1);
      try {
        // A user of this run, so the per-user push limit (10 an hour) never refuses the demo.
        const userId = crypto.randomUUID();
        await sql`insert into auth.users (id, email) values (${userId}, ${`push-${userId.slice(0, 8)}@usher.example`})`;
        const token = `ExponentPushToken[demo-${userId.slice(0, 8)}]`;
        const set = await fetch(`${fakePush}/__receipts`, {
          method: "POST",
          body: JSON.stringify({ token, receipt: "DeviceNotRegistered" }),
        });
        await set.body?.cancel();
        expect(set.ok, `the fake refused /__receipts: ${set.status}`);
        const push = JSON.stringify({ user_id: userId, token, title: "Doors open", body: "See you inside" });
        const first = await fn("send-push", { method: "POST", headers: service, body: push });
        say(`send-push → ${first.status} ${JSON.stringify(await first.json())}`);
        const run = await fn("process-push-receipts", {
          method: "POST",
          headers: service,
          body: JSON.stringify({ min_age_seconds: 0 }),
        });
        const report = await run.json();
        say(`process-push-receipts → ${run.status} ${JSON.stringify(report)}`);
        const [row] = await sql`select status, receipt_status, receipt_error from public.push_deliveries
                                 where user_id = ${userId}`;
        say(`push_deliveries: ${JSON.stringify(row)}`);
        const again = await fn("send-push", { method: "POST", headers: service, body: push });
        const refused = await again.json();
        say(`the same push again → ${again.status} ${JSON.stringify(refused)}`);
        expect(first.status === 200 && row.receipt_status === "error", "the receipt's error was not recorded");
        expect(again.status === 410 && refused.error.code === "device_unregistered", "the token was not retired");
        return "receipt error recorded, token retired, the next push refused with 410 device_unregistered";
      } finally {
        await sql.end();
      }
    },
  },
];
