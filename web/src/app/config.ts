// Where the functions are: read at start from /config.json, which the server that serves the
// app writes for its own stack (tools/local/web.ts), so one build serves any stack.

export interface AppConfig {
  /** The functions' base URL, e.g. http://127.0.0.1:54321/functions/v1 (no trailing slash). */
  functionsUrl: string;
}

export async function loadConfig(url = "./config.json"): Promise<AppConfig> {
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new Error(`config.json answered ${res.status}`);
  const body: unknown = await res.json();
  const functionsUrl = (body as { functionsUrl?: unknown } | null)?.functionsUrl;
  if (typeof functionsUrl !== "string" || !/^https?:\/\//.test(functionsUrl)) {
    throw new Error("config.json has no functionsUrl");
  }
  return { functionsUrl: functionsUrl.replace(/\/+$/, "") };
}
