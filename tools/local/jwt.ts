// Mints HS256 JWTs signed with the local stack's secret, shaped like Supabase's:
// the anon and service-role API keys, and user tokens for a given `sub`.
//   deno run --allow-env tools/local/jwt.ts anon|service_role|user <uuid> [email]
import { SignJWT } from "npm:jose@6.2.18";

export async function mintJwt(
  secret: string,
  claims: { role: string; sub?: string; email?: string },
  ttlSeconds: number,
): Promise<string> {
  return await new SignJWT({ ...claims, iss: "supabase-local" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

if (import.meta.main) {
  const secret = Deno.env.get("JWT_SECRET");
  if (!secret) throw new Error("JWT_SECRET is not set (source .local/env)");
  const [kind, sub, email] = Deno.args;
  const tenYears = 10 * 365 * 24 * 3600;
  if (kind === "anon" || kind === "service_role") {
    console.log(await mintJwt(secret, { role: kind }, tenYears));
  } else if (kind === "user" && sub) {
    console.log(await mintJwt(secret, { role: "authenticated", sub, email }, 3600));
  } else {
    console.error("usage: jwt.ts anon | service_role | user <uuid> [email]");
    Deno.exit(2);
  }
}
