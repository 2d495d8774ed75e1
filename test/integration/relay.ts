/**
 * Loopback TCP relays for tests that move a host to a new address: a relay makes the host's sshd
 * reachable at another loopback address and port; a trap listens where the host used to be and
 * counts (and refuses) every connection made to the address it no longer has.
 */
import * as net from "net";

export interface Listening {
  readonly address: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

function listen(server: net.Server, address: string, port: number, count: () => number, sockets: Set<net.Socket>): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      const bound = server.address() as net.AddressInfo;
      resolve({
        address,
        port: bound.port,
        connections: count,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Forwards every connection to `address:port` (0: any free port) on to `target`. */
export function startRelay(address: string, target: { host: string; port: number }, port = 0): Promise<Listening> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    n++;
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  return listen(server, address, port, () => n, sockets);
}

/** Accepts and at once closes every connection to `address:port`, counting them. */
export function startTrap(address: string, port: number): Promise<Listening> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    n++;
    s.destroy();
  });
  return listen(server, address, port, () => n, sockets);
}
