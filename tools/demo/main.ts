// `make demo`: a scripted walk through each hardening feature against the running stack.
import { analyticsSteps } from "./analytics.ts";
import { dashboardSteps } from "./dashboard.ts";
import { emailSteps } from "./email.ts";
import { foundationSteps } from "./foundation.ts";
import { hardeningSteps } from "./hardening.ts";
import { pushReceiptSteps } from "./push_receipts.ts";
import { qrSteps, removeDemoEvent } from "./qr.ts";
import { rateLimitSteps } from "./ratelimit.ts";
import { runSteps } from "./report.ts";
import { webhookSteps } from "./webhooks.ts";

await removeDemoEvent();
const ok = await runSteps([
  { name: "Foundation: local Supabase-compatible stack", steps: foundationSteps },
  { name: "Ticket QR security", steps: qrSteps },
  { name: "Rate limiting: one GCRA in Postgres and Redis, standard 429s", steps: rateLimitSteps },
  { name: "Holes closed: retries, floods, bad input, client roles", steps: hardeningSteps },
  { name: "Durable e-mail: a Postgres queue, retries, limits, exactly once", steps: emailSteps },
  { name: "Webhooks that never lose an event: verified, exactly once, retried, replayed", steps: webhookSteps },
  {
    name: "Analytics that degrade gracefully, and the operations page",
    steps: [...analyticsSteps, ...pushReceiptSteps],
  },
  { name: "The dashboard and the operations page in headless Chromium, healthy and degraded", steps: dashboardSteps },
]);
Deno.exit(ok ? 0 : 1);
