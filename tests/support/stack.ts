// What tests need to reach the running local stack (`make up` writes .local/env).
import { mintJwt } from "../../tools/local/jwt.ts";

function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    throw new Error(`${path} is missing: start the stack with \`make up\``);
  }
  return Object.fromEntries(
    text.split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1)];
    }),
  );
}

export const repoRoot = new URL("../../", import.meta.url).pathname;
export const stackEnv = readEnvFile(`${Deno.env.get("USHER_LOCAL_DIR") ?? `${repoRoot}.local`}/env`);
export const functionsUrl = `${stackEnv.SUPABASE_URL}/functions/v1`;
export const dbUrl = stackEnv.SUPABASE_DB_URL;
export const jwtSecret = stackEnv.JWT_SECRET;

/** The seed data's people, by role in the story. */
export const seedUsers = {
  ada: "00000000-0000-4000-8000-000000000001",
  grace: "00000000-0000-4000-8000-000000000002",
  doorNorth: "00000000-0000-4000-8000-000000000003",
  doorSouth: "00000000-0000-4000-8000-000000000004",
  organizer: "00000000-0000-4000-8000-000000000005",
  ops: "00000000-0000-4000-8000-000000000006",
} as const;

export function userJwt(sub: string, ttlSeconds = 600): Promise<string> {
  return mintJwt(jwtSecret, { role: "authenticated", sub }, ttlSeconds);
}

export function fn(name: string, init: RequestInit = {}, token?: string): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  return fetch(`${functionsUrl}/${name}`, { ...init, headers });
}

/** The local stack's QR signing keys, as the functions get them from tools/local/secrets.env. */
const localSecrets = readEnvFile(`${repoRoot}tools/local/secrets.env`);
export const qrSigningKeys = localSecrets.QR_SIGNING_KEYS;
/** The secrets the local stack's webhook functions verify with; the first of each signs. */
export const stripeWebhookSecret = localSecrets.STRIPE_WEBHOOK_SECRETS.split(",")[0];
export const resendWebhookSecret = localSecrets.RESEND_WEBHOOK_SECRETS.split(",")[0];
