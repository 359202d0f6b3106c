// A bound on how long a call to a store may take: one that hangs is treated like one that
// refuses connections, so a rate limit's fail rule applies quickly and health answers.
// The bound runs from when `promise` is handed over, so a caller that queues its calls
// starts it as a call goes out, not while it waits its turn (see ratelimit/dispatch.ts).

/** The call did not settle within its bound; it may still be running. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
