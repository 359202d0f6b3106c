// The caller's identity, from the bearer JWT. The gateway verifies JWTs where `verify_jwt`
// is on; functions verify again so identity never rests on a gateway setting alone.
import { errors as joseErrors, jwtVerify } from "npm:jose@6.2.18";
import { HttpError } from "./http.ts";
import { VerifiedTokens } from "./token_cache.ts";
import { uuidPattern } from "./ids.ts";

export type Role = "anon" | "authenticated" | "service_role";

export interface Caller {
  role: Role;
  /** The user's id (`sub`) for an authenticated caller, otherwise null. */
  userId: string | null;
}

const roles: ReadonlySet<string> = new Set(["anon", "authenticated", "service_role"]);

export class Authenticator {
  readonly #key: Uint8Array;
  readonly #verified = new VerifiedTokens<Caller>();

  constructor(jwtSecret: string) {
    this.#key = new TextEncoder().encode(jwtSecret);
  }

  /** Verifies the request's bearer token; 401 when it is missing, invalid or expired. */
  async caller(req: Request): Promise<Caller> {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "");
    if (!match) throw new HttpError(401, "unauthorized", "Missing bearer token");
    const known = this.#verified.get(match[1]);
    if (known) return known;
    const { caller, expiresAtMs } = await this.#verify(match[1]);
    // Frozen, because the cache hands the same object to every later request.
    this.#verified.set(match[1], Object.freeze(caller), expiresAtMs);
    return caller;
  }

  async #verify(token: string): Promise<{ caller: Caller; expiresAtMs: number }> {
    let payload;
    try {
      // Supabase's tokens always carry `exp`; one without it would never expire.
      ({ payload } = await jwtVerify(token, this.#key, { algorithms: ["HS256"], requiredClaims: ["exp"] }));
    } catch (e) {
      const reason = e instanceof joseErrors.JWTExpired
        ? "JWT has expired"
        : e instanceof joseErrors.JWTClaimValidationFailed && e.claim === "exp" && e.reason === "missing"
        ? "JWT has no expiry"
        : "Invalid JWT";
      throw new HttpError(401, "unauthorized", reason);
    }
    const role = typeof payload.role === "string" && roles.has(payload.role) ? (payload.role as Role) : null;
    if (!role) throw new HttpError(401, "unauthorized", "JWT has no recognised role");
    const expiresAtMs = payload.exp! * 1000;
    if (role !== "authenticated") return { caller: { role, userId: null }, expiresAtMs };
    if (typeof payload.sub !== "string" || !uuidPattern.test(payload.sub)) {
      throw new HttpError(401, "unauthorized", "JWT has no user id");
    }
    return { caller: { role, userId: payload.sub.toLowerCase() }, expiresAtMs };
  }

  /** Like `caller`, but only a signed-in user passes; anon and service keys get 403. */
  async user(req: Request): Promise<Caller & { userId: string }> {
    const caller = await this.caller(req);
    if (caller.userId === null) throw new HttpError(403, "forbidden", "A signed-in user is required");
    return caller as Caller & { userId: string };
  }
}
