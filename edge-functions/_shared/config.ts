// Configuration from the environment. A function reads every variable it needs when its
// module loads, so a missing secret stops it at start-up, loudly and by name, instead of
// failing the first request that happens to need it.

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Returns the named variables, or throws one error that names every missing one. */
export function requireEnv<const K extends string>(
  names: readonly K[],
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Record<K, string> {
  const missing = names.filter((n) => !env(n));
  if (missing.length > 0) {
    throw new ConfigError(
      `missing required environment variable${missing.length > 1 ? "s" : ""}: ${missing.join(", ")} ` +
        "(set with `supabase secrets set NAME=value`; locally in tools/local/secrets.env)",
    );
  }
  return Object.fromEntries(names.map((n) => [n, env(n)!])) as Record<K, string>;
}

/** A positive integer setting with a default, rejecting anything else by name. */
export function intEnv(
  name: string,
  fallback: number,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): number {
  const raw = env(name);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}
