// The signed-in user, as a Supabase app keeps them: no Auth server runs locally, so the access
// token is read where supabase-js would have put it, `localStorage["usher.session"]`
// (`{"access_token": "…"}`), or taken from the `#access_token=…` fragment that Supabase's
// implicit flow redirects to, which is then stored and removed from the address bar.

export const SESSION_KEY = "usher.session";

export interface Session {
  accessToken: string;
  /** The JWT's `sub`: it names the user's own persisted cache, so no user sees another's figures. */
  userId: string;
}

/**
 * Moves an implicit-flow token from the fragment into storage, and answers the fragment to
 * show instead (the dashboard's route), or null when there was no token in it.
 */
export function takeTokenFromFragment(hash: string, storage: Storage): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = params.get("access_token");
  if (!token) return null;
  storage.setItem(SESSION_KEY, JSON.stringify({ access_token: token }));
  return "#/";
}

/** The stored session, or null when there is none or its token is not a JWT with a subject. */
export function readSession(storage: Storage): Session | null {
  let stored: unknown;
  try {
    stored = JSON.parse(storage.getItem(SESSION_KEY) ?? "null");
  } catch {
    return null;
  }
  const token = (stored as { access_token?: unknown } | null)?.access_token;
  if (typeof token !== "string") return null;
  const sub = jwtSubject(token);
  return sub === null ? null : { accessToken: token, userId: sub };
}

export function signOut(storage: Storage): void {
  storage.removeItem(SESSION_KEY);
}

/** The `sub` claim of a JWT, unverified (the functions verify it); null when unreadable. */
export function jwtSubject(token: string): string | null {
  const payload = token.split(".")[1];
  if (payload === undefined) return null;
  try {
    const b64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const claims: unknown = JSON.parse(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)));
    const sub = (claims as { sub?: unknown } | null)?.sub;
    return typeof sub === "string" && sub !== "" ? sub : null;
  } catch {
    return null;
  }
}
