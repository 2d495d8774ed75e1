/** Plain HTTP GETs against a test host's published port, with a bounded retry. */
import * as http from "http";

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function get(url: string, timeoutMs = 10_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, headers: { Connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** GETs until `ok` accepts the answer, for at most `withinMs` (errors count as not ok). */
export async function getUntil(url: string, ok: (a: HttpAnswer) => boolean, withinMs = 30_000): Promise<HttpAnswer> {
  const deadline = Date.now() + withinMs;
  let last: HttpAnswer | Error = new Error("no answer");
  while (Date.now() < deadline) {
    try {
      last = await get(url);
      if (ok(last)) return last;
    } catch (e) {
      last = e as Error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`GET ${url}: no acceptable answer within ${withinMs} ms; last: ${last instanceof Error ? last.message : `${last.status} ${last.body.slice(0, 200)}`}`);
}

export interface LoadReport {
  /** Requests answered 2xx–4xx. */
  ok: number;
  /** 5xx answers, refused or reset connections, timeouts. */
  failed: number;
  /** The first few failures, for the test's message. */
  samples: string[];
}

/**
 * Bounded loopback load while `during` runs: `clients` loops, each sending GETs of `paths` in turn,
 * one at a time, until `during` settles. A 5xx answer or a failed connection counts as failed.
 */
export async function underLoad<T>(base: string, paths: string[], during: () => Promise<T>, clients = 4): Promise<{ result: PromiseSettledResult<T>; load: LoadReport }> {
  const load: LoadReport = { ok: 0, failed: 0, samples: [] };
  let done = false;
  const client = async (n: number) => {
    for (let i = n; !done; i++) {
      const url = `${base}${paths[i % paths.length]}`;
      try {
        const a = await get(url, 15_000);
        if (a.status >= 500) throw new Error(`${a.status} ${a.body.slice(0, 80)}`);
        load.ok++;
      } catch (e) {
        load.failed++;
        if (load.samples.length < 5) load.samples.push(`GET ${url}: ${(e as Error).message}`);
      }
    }
  };
  const clientsDone = Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
  const [result] = await Promise.allSettled([during()]);
  done = true;
  await clientsDone;
  return { result, load };
}
