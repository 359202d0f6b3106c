// The fake providers as one process, for the functions behind the local gateway:
//   deno run --allow-net --allow-env tests/fakes/server.ts
// Stripe on USHER_FAKE_STRIPE_PORT (default 54410), Expo push on USHER_FAKE_PUSH_PORT
// (default 54411), Resend on USHER_FAKE_RESEND_PORT (default 54412) allowing
// USHER_FAKE_RESEND_RPS requests a second (default 2, as Resend's team-wide limit); `make up`
// starts it, and tools/local/secrets.env points the functions at it. Another process (the
// demo) commands failures over HTTP: POST /__fail on each, /__drop and /__hold on Resend.
// It also commands webhooks: the fake Stripe sends its events to USHER_STRIPE_WEBHOOK_URL
// signed with the first of STRIPE_WEBHOOK_SECRETS, the fake Resend to USHER_RESEND_WEBHOOK_URL
// with the first of RESEND_WEBHOOK_SECRETS (the functions' own variables, so that both sides
// hold the same secret); without them, the webhook commands answer 409.
import { intEnv } from "../../edge-functions/_shared/config.ts";
import { startFakePush } from "./push.ts";
import { startFakeResend } from "./resend.ts";
import { startFakeStripe } from "./stripe.ts";
import type { WebhookEndpoint } from "./webhook_sender.ts";

export const fakeStripePort = Number(Deno.env.get("USHER_FAKE_STRIPE_PORT") ?? 54410);
const fakePushPort = Number(Deno.env.get("USHER_FAKE_PUSH_PORT") ?? 54411);
const fakeResendPort = Number(Deno.env.get("USHER_FAKE_RESEND_PORT") ?? 54412);

/** The endpoint two variables name, the first of a comma-separated list of secrets, if both are set. */
function endpoint(urlVariable: string, secretsVariable: string): WebhookEndpoint | undefined {
  const url = Deno.env.get(urlVariable);
  const secret = Deno.env.get(secretsVariable)?.split(",")[0].trim();
  return url && secret ? { url, secret } : undefined;
}

if (import.meta.main) {
  const stripe = startFakeStripe({
    port: fakeStripePort,
    webhook: endpoint("USHER_STRIPE_WEBHOOK_URL", "STRIPE_WEBHOOK_SECRETS"),
  });
  const push = startFakePush(fakePushPort);
  const resend = startFakeResend({
    port: fakeResendPort,
    requestsPerSecond: intEnv("USHER_FAKE_RESEND_RPS", 2),
    webhook: endpoint("USHER_RESEND_WEBHOOK_URL", "RESEND_WEBHOOK_SECRETS"),
  });
  console.log(JSON.stringify({ msg: "fake providers ready", stripe: stripe.url, push: push.url, resend: resend.url }));
}
