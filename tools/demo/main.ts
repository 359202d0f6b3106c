// `make demo`: a scripted walk through each hardening feature against the running stack.
import { foundationSteps } from "./foundation.ts";
import { qrSteps } from "./qr.ts";
import { runSteps } from "./report.ts";

const ok = await runSteps([
  { name: "Foundation: local Supabase-compatible stack", steps: foundationSteps },
  { name: "Ticket QR security", steps: qrSteps },
]);
Deno.exit(ok ? 0 : 1);
