// A strong validator over the answer's bytes, and the If-None-Match comparison of RFC 9110
// (weak comparison: a `W/` prefix on the client's copy does not change what it names).

export async function etagOf(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  const b64 = btoa(String.fromCharCode(...digest.subarray(0, 16)));
  return `"${b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}"`;
}

export function matchesEtag(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}
