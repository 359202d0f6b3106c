// A bound on how long a call to a store may take: one that hangs is treated like one that
// refuses connections, so a rate limit's fail rule applies quickly and health answers.

class TimeoutError extends Error {
  override name = "TimeoutError";
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
