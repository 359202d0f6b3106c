// A loopback forwarder to a TCP port that can delay every chunk it passes on, and be cut:
// while cut, its port refuses connections and the ones open are dropped, as when the database
// host goes away; restored, it listens on the same port again. The browser harness puts it
// between the analytics function and Postgres, the outage tests between a limiter and its store.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TcpProxy {
  readonly port: number;
  /** Milliseconds every chunk waits before it is passed on; 0 by default. */
  delayMs: number;
  /** Refuses new connections and drops the open ones, until restore(). */
  cut(): Promise<void>;
  restore(): void;
  close(): Promise<void>;
}

export function tcpProxy(targetPort: number, targetHost = "127.0.0.1"): TcpProxy {
  let listener: Deno.Listener | null = null;
  let accepting: Promise<void> = Promise.resolve();
  const open = new Set<Deno.Conn>();
  const pumps = new Set<Promise<void>>();
  let port = 0;
  let delayMs = 0;

  async function pump(from: Deno.Conn, to: Deno.Conn) {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n = await from.read(buf); n !== null; n = await from.read(buf)) {
        if (delayMs > 0) await sleep(delayMs);
        let written = 0;
        while (written < n) written += await to.write(buf.subarray(written, n));
      }
    } catch {
      // A side closed (or the proxy was cut): the other side is closed below.
    } finally {
      for (const c of [from, to]) {
        if (open.delete(c)) c.close();
      }
    }
  }

  function listen() {
    const l = Deno.listen({ hostname: "127.0.0.1", port });
    listener = l;
    port = (l.addr as Deno.NetAddr).port;
    accepting = (async () => {
      for await (const client of l) {
        let server: Deno.Conn;
        try {
          server = await Deno.connect({ hostname: targetHost, port: targetPort });
        } catch {
          client.close();
          continue;
        }
        open.add(client).add(server);
        for (const p of [pump(client, server), pump(server, client)]) {
          pumps.add(p);
          p.finally(() => pumps.delete(p));
        }
      }
    })().catch(() => {});
  }

  async function cut() {
    listener?.close();
    listener = null;
    await accepting;
    for (const c of open) c.close();
    open.clear();
    await Promise.all(pumps);
  }

  listen();
  return {
    get port() {
      return port;
    },
    get delayMs() {
      return delayMs;
    },
    set delayMs(ms: number) {
      delayMs = ms;
    },
    cut,
    restore: () => {
      if (!listener) listen();
    },
    close: cut,
  };
}
