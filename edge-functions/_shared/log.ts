// Structured logs: one JSON object a line, with the request id, so a log search can follow
// one request through the gateway, the function and the database. Callers pass fields
// explicitly; nothing here serialises a request, a header or a secret on its own.

export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: Level, msg: string, fields?: LogFields): void;
}

export function logger(base: LogFields, sink: (line: string) => void = console.log): Logger {
  return {
    log(level, msg, fields) {
      sink(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...base, ...fields }));
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
