import { latest, parseRecords, renderRollouts } from "../../../bench/rollouts";
import { LoadRecord } from "../../../test/integration/loadLog";

const rec = (what: string, at: string, failed: number, held = true): LoadRecord => ({
  kind: "change",
  server: "uwsgi (unix socket, uwsgi_pass)",
  what,
  ok: 100,
  failed,
  failingMs: failed === 0 ? 0 : 480,
  held,
  at,
});

describe("bench/rollouts", () => {
  it("GIVEN two runs of the same change WHEN summed up THEN the latest counts, in first-seen order", () => {
    const rows = latest([
      rec("app code", "2026-12-01T10:00:00Z", 3),
      rec("environment", "2026-12-01T10:01:00Z", 0),
      rec("app code", "2026-12-02T10:00:00Z", 0),
    ]);
    expect(rows.map((r) => [r.what, r.failed])).toEqual([
      ["environment", 0],
      ["app code", 0],
    ]);
  });

  it("GIVEN records WHEN rendered THEN each is a row, failures with their duration, and the held ones are counted", () => {
    const md = renderRollouts([rec("app code", "2026-12-02T10:00:00Z", 0), rec("restart", "2026-12-02T10:05:00Z", 7, false)], "2 cores");
    expect(md).toContain("| change | uwsgi (unix socket, uwsgi_pass) | app code | 100 | 0 | – | 0 asserted |");
    expect(md).toContain("| change | uwsgi (unix socket, uwsgi_pass) | restart | 100 | 7 | 480 ms | reported |");
    expect(md).toContain("Measured 2026-12-02 on 2 cores.");
    expect(md).toContain("1 rows held to zero, 1 of them with 0 failed requests.");
  });

  it("GIVEN a JSONL file with a blank line WHEN parsed THEN every record is read", () => {
    const text = `${JSON.stringify(rec("a", "2026-12-02T00:00:00Z", 0))}\n\n${JSON.stringify(rec("b", "2026-12-02T00:00:01Z", 1))}\n`;
    expect(parseRecords(text).map((r) => r.what)).toEqual(["a", "b"]);
  });
});
