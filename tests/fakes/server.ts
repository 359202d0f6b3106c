// The fake providers as one process, for the functions behind the local gateway:
//   deno run --allow-net --allow-env tests/fakes/server.ts
// Stripe on USHER_FAKE_STRIPE_PORT (default 54410), Expo push on USHER_FAKE_PUSH_PORT
// (default 54411), Resend on USHER_FAKE_RESEND_PORT (default 54412) allowing
// USHER_FAKE_RESEND_RPS requests a second (default 2, as Resend's team-wide limit); `make up`
// starts it, and tools/local/secrets.env points the functions at it. Another process (the
// demo) commands failures over HTTP: POST /__fail on each, /__drop and /__hold on Resend.
import { intEnv } from "../../edge-functions/_shared/config.ts";
import { startFakePush } from "./push.ts";
import { startFakeResend } from "./resend.ts";
import { startFakeStripe } from "./stripe.ts";

export const fakeStripePort = Number(Deno.env.get("USHER_FAKE_STRIPE_PORT") ?? 54410);
const fakePushPort = Number(Deno.env.get("USHER_FAKE_PUSH_PORT") ?? 54411);
const fakeResendPort = Number(Deno.env.get("USHER_FAKE_RESEND_PORT") ?? 54412);

if (import.meta.main) {
  const stripe = startFakeStripe(fakeStripePort);
  const push = startFakePush(fakePushPort);
  const resend = startFakeResend({ port: fakeResendPort, requestsPerSecond: intEnv("USHER_FAKE_RESEND_RPS", 2) });
  console.log(JSON.stringify({ msg: "fake providers ready", stripe: stripe.url, push: push.url, resend: resend.url }));
}
