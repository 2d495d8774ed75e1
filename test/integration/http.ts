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
