// The fake providers as one process, for the functions behind the local gateway:
//   deno run --allow-net --allow-env tests/fakes/server.ts
// Stripe on USHER_FAKE_STRIPE_PORT (default 54410), Expo push on USHER_FAKE_PUSH_PORT
// (default 54411); `make up` starts it, and tools/local/secrets.env points the functions
// at it.
import { startFakePush } from "./push.ts";
import { startFakeStripe } from "./stripe.ts";

export const fakeStripePort = Number(Deno.env.get("USHER_FAKE_STRIPE_PORT") ?? 54410);
const fakePushPort = Number(Deno.env.get("USHER_FAKE_PUSH_PORT") ?? 54411);

if (import.meta.main) {
  const stripe = startFakeStripe(fakeStripePort);
  const push = startFakePush(fakePushPort);
  console.log(JSON.stringify({ msg: "fake providers ready", stripe: stripe.url, push: push.url }));
}
