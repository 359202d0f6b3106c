// The client's address for per-IP limits, read only from what a proxy we trust wrote.
// docs/client-ip.md has the threat and the choice. In short: Cloudflare, in front of
// Supabase's edge, appends the address it saw to whatever X-Forwarded-For the client sent,
// so the leftmost entries are the client's to choose and only the entries appended by our
// own proxies can be believed. Which source to read is set once, at start-up:
//   CLIENT_IP_SOURCE   x-forwarded-for (the default): the entry TRUSTED_PROXY_HOPS from the
//                      right (1, the default: the last one appended);
//                      or the name of a header the outermost trusted proxy sets to one
//                      address, replacing any the client sent (cf-connecting-ip, x-real-ip);
//                      or none: no per-IP limit.
//   TRUSTED_PROXY_HOPS how many proxies of ours append to X-Forwarded-For.
import { ConfigError, intEnv } from "../config.ts";

export type ClientIpSource =
  | { kind: "forwarded-for"; trustedHops: number }
  | { kind: "header"; name: string }
  | { kind: "none" };

type Env = (name: string) => string | undefined;

/** The configured source; a bad value stops start-up with a ConfigError naming it. */
export function clientIpSource(env: Env = (n) => Deno.env.get(n)): ClientIpSource {
  const source = (env("CLIENT_IP_SOURCE") || "x-forwarded-for").toLowerCase();
  const hops = env("TRUSTED_PROXY_HOPS");
  if (source === "x-forwarded-for") return { kind: "forwarded-for", trustedHops: intEnv("TRUSTED_PROXY_HOPS", 1, env) };
  if (hops !== undefined && hops !== "") {
    throw new ConfigError(`TRUSTED_PROXY_HOPS applies only to CLIENT_IP_SOURCE=x-forwarded-for, not ${source}`);
  }
  if (source === "none") return { kind: "none" };
  if (/^[a-z0-9-]+$/.test(source)) return { kind: "header", name: source };
  throw new ConfigError(
    `CLIENT_IP_SOURCE must be x-forwarded-for, none or a header name, got ${JSON.stringify(source)}`,
  );
}

/**
 * The address to key a per-IP limit on, or null when the trusted source gives none. Null
 * means "skip the per-IP limit", never a shared bucket: requests without an address would
 * otherwise share one that a single stranger could use up for all of them. An IPv6 client
 * is keyed by its /64, the smallest block a subscriber is given, so it cannot rotate
 * addresses within it for fresh buckets.
 */
export function clientIpFrom(req: Request, source: ClientIpSource): string | null {
  if (source.kind === "none") return null;
  if (source.kind === "header") return limitKey(req.headers.get(source.name) ?? "");
  const hops = (req.headers.get("x-forwarded-for") ?? "").split(",");
  // Fewer entries than trusted proxies: the request did not come the way we trust.
  if (hops.length < source.trustedHops) return null;
  return limitKey(hops[hops.length - source.trustedHops]);
}

const configured = clientIpSource();

/** `clientIpFrom` with the source configured at start-up. */
export function clientIp(req: Request): string | null {
  return clientIpFrom(req, configured);
}

/** An IPv4 address as is, an IPv6 address as its /64 (IPv4-mapped ones as IPv4), else null. */
function limitKey(text: string): string | null {
  const address = text.trim();
  return ipv4(address) ?? ipv6Prefix(address);
}

function ipv4(text: string): string | null {
  const parts = text.split(".");
  // Decimal octets only: a leading zero reads as octal in some parsers, so it is refused.
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.join(".");
}

function ipv6Prefix(text: string): string | null {
  const halves = text.toLowerCase().split("::");
  if (halves.length > 2) return null;
  const groups = halves.map((h) => (h === "" ? [] : h.split(":")));
  const tail = groups[groups.length - 1];
  // A dotted IPv4 address may end an IPv6 one; it stands for the last two groups.
  const embedded = tail.length > 0 ? ipv4(tail[tail.length - 1]) : null;
  if (embedded !== null) {
    const [a, b, c, d] = embedded.split(".").map(Number);
    tail.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const given = groups.flat();
  if (!given.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  if (halves.length === 1 ? given.length !== 8 : given.length > 7) return null;
  const full = [...groups[0], ...Array(8 - given.length).fill("0"), ...(groups[1] ?? [])].map((g) => parseInt(g, 16));
  if (full.slice(0, 5).every((g) => g === 0) && full[5] === 0xffff) {
    return [full[6] >> 8, full[6] & 255, full[7] >> 8, full[7] & 255].join(".");
  }
  return `${full.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}
