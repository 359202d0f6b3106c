import { Authenticator } from "../_shared/auth.ts";
import { requireEnv } from "../_shared/config.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { StripeClient } from "../_shared/providers/stripe.ts";
import { storeFromEnv } from "../_shared/ratelimit/config.ts";
import { checkoutLimits } from "../_shared/ratelimit/named.ts";
import { handleCreateCheckout } from "./handler.ts";

const env = requireEnv([
  "SUPABASE_DB_URL",
  "JWT_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_API_BASE",
  "CHECKOUT_SUCCESS_URL",
  "CHECKOUT_CANCEL_URL",
]);
const sql = connect(env.SUPABASE_DB_URL, 5);

export default {
  fetch: serve("create-checkout", handleCreateCheckout, {
    sql,
    auth: new Authenticator(env.JWT_SECRET),
    store: storeFromEnv("CHECKOUT", sql),
    limits: checkoutLimits(),
    stripe: new StripeClient(env.STRIPE_API_BASE, env.STRIPE_SECRET_KEY),
    successUrl: env.CHECKOUT_SUCCESS_URL,
    cancelUrl: env.CHECKOUT_CANCEL_URL,
  }),
};
