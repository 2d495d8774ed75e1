/**
 * A loopback TCP relay that holds every chunk for half the round trip in each direction: the SSH path
 * from this machine to a test host then has `rttMs` more round-trip time, and nothing else (the host's
 * apt and pip traffic, and the benchmark's docker exec checks, are not delayed).
 *
 * The kernel here has no netem (CONFIG_NET_SCH_NETEM is not set, no modules), so `tc qdisc … netem`
 * cannot add the delay inside the container; this relay is the stand-in. It delays data, not packets:
 * TCP's own acknowledgements on loopback stay fast, so it models the latency a request/response
 * protocol like SSH sees, not a long fat pipe's window limits (which these small transfers never reach).
 */
import * as net from "net";

export interface DelayRelay {
  /** The port on 127.0.0.1 to connect to instead of the target. */
  port: number;
  close(): Promise<void>;
}

export async function startDelayRelay(targetPort: number, rttMs: number, targetHost = "127.0.0.1"): Promise<DelayRelay> {
  const oneWay = rttMs / 2;
  const sockets = new Set<net.Socket>();
  const pipe = (from: net.Socket, to: net.Socket) => {
    from.on("data", (chunk) => {
      // Timers of one duration fire in the order they were set: the byte stream stays in order.
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, oneWay);
    });
    from.on("end", () => setTimeout(() => to.end(), oneWay));
    from.on("error", () => to.destroy());
    from.on("close", () => setTimeout(() => to.destroy(), oneWay + 5));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
