// The client's IP address for per-IP limits: the first hop of X-Forwarded-For, which
// Supabase's edge (and our local gateway, which passes the header through) sets to the
// address the request came from. A client can prepend addresses of its own to that header
// only where a proxy appends instead of replacing; per-user limits do not depend on it.

const ipPattern = /^[0-9A-Fa-f:.]{2,45}$/;

/** The first X-Forwarded-For hop when it looks like an IP address, otherwise "unknown". */
export function clientIp(req: Request): string {
  const first = (req.headers.get("x-forwarded-for") ?? "").split(",")[0].trim();
  return ipPattern.test(first) ? first.toLowerCase() : "unknown";
}
