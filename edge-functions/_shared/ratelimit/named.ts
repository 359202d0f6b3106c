// The limits in use, their defaults and the environment variables that change them. The
// fail modes are argued in docs/rate-limiting.md; in short: checkout fails open (a lost
// sale costs more than a few minutes without a per-user cap, and Stripe screens card
// testing itself), push fails closed (a notification flood is the harm the limit exists
// to stop, and a 503 tells the calling service to retry later), the scanner's refusals
// fail open (a door must keep admitting people; the ticket's row lock, not the limit, is
// what stops a double admission).
import { intEnv } from "../config.ts";
import { type NamedLimit, perHour, perMinute } from "./limits.ts";

type Env = (name: string) => string | undefined;
const denoEnv: Env = (n) => Deno.env.get(n);

export interface CheckoutLimits {
  user: NamedLimit;
  ip: NamedLimit;
}

export function checkoutLimits(env: Env = denoEnv): CheckoutLimits {
  return {
    user: {
      name: "checkout-user",
      quota: perMinute(intEnv("CHECKOUT_USER_LIMIT_PER_MINUTE", 5, env)),
      failMode: "open",
    },
    ip: { name: "checkout-ip", quota: perMinute(intEnv("CHECKOUT_IP_LIMIT_PER_MINUTE", 20, env)), failMode: "open" },
  };
}

export interface PushLimits {
  user: NamedLimit;
  global: NamedLimit;
}

export function pushLimits(env: Env = denoEnv): PushLimits {
  return {
    user: { name: "push-user", quota: perHour(intEnv("PUSH_USER_LIMIT_PER_HOUR", 10, env)), failMode: "closed" },
    global: {
      name: "push-global",
      quota: perMinute(intEnv("PUSH_GLOBAL_LIMIT_PER_MINUTE", 600, env)),
      failMode: "closed",
    },
  };
}

export interface ScannerLimits {
  refusals: NamedLimit;
}

/**
 * Refused scans per scanner account (scanner-validate/refusals.ts): scans of a stranger's
 * token, bad requests and codes no genuine ticket produces. A door at human speed meets
 * such a code perhaps once a minute; 30 a minute leaves it far below the limit, and holds a
 * flood to one scan every two seconds.
 */
export function scannerLimits(env: Env = denoEnv): ScannerLimits {
  return {
    refusals: {
      name: "scan-refused",
      quota: perMinute(intEnv("SCANNER_REFUSALS_PER_MINUTE", 30, env)),
      failMode: "open",
    },
  };
}

export interface AnalyticsLimits {
  user: NamedLimit;
}

/**
 * Dashboard reads per user. A page load asks for five widgets, and each retries at most 3
 * times; 60 a minute leaves a person clicking through date ranges far below the limit and
 * holds a script to one query a second. It fails open: a read costs the database at most the
 * analytics function's statement timeout, and a limiter outage should not blank dashboards.
 */
export function analyticsLimits(env: Env = denoEnv): AnalyticsLimits {
  return {
    user: {
      name: "analytics-user",
      quota: perMinute(intEnv("ANALYTICS_USER_LIMIT_PER_MINUTE", 60, env)),
      failMode: "open",
    },
  };
}
