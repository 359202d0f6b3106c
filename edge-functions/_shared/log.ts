// Structured logs: one JSON object a line, with the request id, so a log search can follow
// one request through the gateway, the function and the database. Callers pass fields
// explicitly; nothing here serialises a request, a header or a secret on its own.

export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: Level, msg: string, fields?: LogFields): void;
  /** Whether a line at `level` would be written, so callers skip building dropped fields. */
  enabled(level: Level): boolean;
}

const rank: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The least level written: `LOG_LEVEL` (debug, info, warn or error), info if unset. */
export function levelFrom(value: string | undefined): Level {
  if (value === undefined || value === "") return "info";
  if (value in rank) return value as Level;
  throw new Error(`LOG_LEVEL must be debug, info, warn or error, not ${JSON.stringify(value)}`);
}

const configured = levelFrom(Deno.env.get("LOG_LEVEL"));

export function logger(base: LogFields, sink: (line: string) => void = console.log, least = configured): Logger {
  const enabled = (level: Level) => rank[level] >= rank[least];
  return {
    enabled,
    log(level, msg, fields) {
      if (enabled(level)) sink(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...base, ...fields }));
    },
  };
}

/** An error's kind and code for a log line, never its text, which may quote a connection string. */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" ? `${e.name} ${code}` : e.name;
  }
  return typeof e;
}
