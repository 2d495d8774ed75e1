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
      res.on("aborted", () => reject(new Error(`GET ${url}: answer cut off`)));
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
  throw new Error(
    `GET ${url}: no acceptable answer within ${withinMs} ms; last: ${last instanceof Error ? last.message : `${last.status} ${last.body.slice(0, 200)}`}`,
  );
}

export interface LoadReport {
  /** Requests answered 2xx–4xx. */
  ok: number;
  /** 5xx answers, refused or reset connections, timeouts. */
  failed: number;
  /** The first few failures, for the test's message. */
  samples: string[];
  /** From the first failure to the last one, in ms (0 when nothing failed): how long the site was down. */
  failingMs: number;
}

/** POSTs a JSON body and resolves with the answer (the connection is closed after it). */
export function postJson(url: string, body: unknown, timeoutMs = 10_000): Promise<HttpAnswer> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", timeout: timeoutMs, headers: { Connection: "close", "Content-Type": "application/json", "Content-Length": data.length } },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on("aborted", () => reject(new Error(`POST ${url}: answer cut off`)));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`POST ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** The sample app's mixed load: a page, the health check, and a JSON POST whose echo is checked. */
export const SAMPLE_LOAD = ["/", "/healthz", "POST /api/echo"];

/**
 * Bounded loopback load while `during` runs: `clients` loops, each sending the requests of `paths`
 * in turn (`/path` a GET, `POST /path` a JSON POST that must come back echoed), one at a time, until
 * `during` settles. A 5xx answer, a wrong echo or a failed connection counts as failed.
 */
export async function underLoad<T>(
  base: string,
  paths: string[],
  during: () => Promise<T>,
  clients = 4,
): Promise<{ result: PromiseSettledResult<T>; load: LoadReport }> {
  const load: LoadReport = { ok: 0, failed: 0, samples: [], failingMs: 0 };
  let firstFailure = 0;
  let done = false;
  const client = async (n: number) => {
    for (let i = n; !done; i++) {
      const [method, p] = paths[i % paths.length].startsWith("POST ") ? ["POST", paths[i % paths.length].slice(5)] : ["GET", paths[i % paths.length]];
      const url = `${base}${p}`;
      try {
        const sent = { client: n, n: i };
        const a = method === "POST" ? await postJson(url, sent, 15_000) : await get(url, 15_000);
        if (a.status >= 500) throw new Error(`${a.status} ${a.body.slice(0, 80)}`);
        if (method === "POST" && a.status === 200 && JSON.stringify(JSON.parse(a.body).echo) !== JSON.stringify(sent))
          throw new Error(`wrong echo ${a.body.slice(0, 80)}`);
        load.ok++;
      } catch (e) {
        load.failed++;
        firstFailure ||= Date.now();
        load.failingMs = Date.now() - firstFailure;
        if (load.samples.length < 5) load.samples.push(`${method} ${url}: ${(e as Error).message}`);
      }
    }
  };
  const clientsDone = Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
  const [result] = await Promise.allSettled([during()]);
  done = true;
  await clientsDone;
  return { result, load };
}
