/** The servers the whole-stack test runs against, one case each, and what its steps share. */
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { sshExec, TestHost } from "../../hosts/harness";

export const SAMPLE_APP = path.resolve(__dirname, "..", "..", "..", "examples", "app");
export const STEP = 10 * 60_000;
/** A secret env value: it must reach the app and nothing else. */
export const SECRET = "tok-7f3a9c' $(touch /tmp/pwned) `id`";

export interface ServerCase {
  /** Names the case in the test output and its hosts and stack. */
  label: string;
  server: "uwsgi" | "gunicorn" | "waitress";
  /** More stack config for this case. */
  config?: Record<string, string>;
  /** The upstream address in nginx's site, and for a unix socket its owner, group and mode. */
  upstream: { address: string; socket?: string };
  /** Config key and values for the "one setting changes" step. */
  change: { key: "processes" | "threads"; from: number; to: number };
  /** The rendered line that the preview must show changing. */
  diffLines: (n: number) => string;
  /** Resource names updated (~) or replaced (+-) by that change, and nothing else. */
  changed: string[];
  /** Counts that setting on the running host. */
  measure: (h: TestHost) => Promise<number>;
  /** Whether that change keeps the same master process (a graceful reload, not a restart). */
  sameMaster: boolean;
}

/** Worker processes: children of the supervised master. */
export async function workerCount(h: TestHost): Promise<number> {
  const r = await sshExec(h, 'master=$(sudo -n supervisorctl pid sample); ps -o pid= --ppid "$master" | wc -l');
  return Number(r.stdout.trim());
}

export const CASES: ServerCase[] = [
  {
    label: "uwsgi (unix socket, uwsgi_pass)",
    server: "uwsgi",
    upstream: { address: "unix:/run/sample/sample.sock", socket: "sample www-data 660" },
    change: { key: "processes", from: 4, to: 8 },
    diffLines: (n) => `processes = ${n}`,
    changed: ["site-probe", "uwsgi-config", "uwsgi-reload"],
    measure: workerCount,
    sameMaster: true,
  },
  {
    label: "gunicorn (unix socket, proxy_pass)",
    server: "gunicorn",
    // Mode 777 inside a run dir only the app user and group www-data (nginx) may enter.
    upstream: { address: "unix:/run/sample/gunicorn.sock", socket: "sample sample 777" },
    change: { key: "processes", from: 4, to: 8 },
    diffLines: (n) => `workers = ${n}`,
    changed: ["gunicorn-config", "gunicorn-reload", "site-probe"],
    measure: workerCount,
    sameMaster: true,
  },
  {
    // TCP: a hard-killed master's workers hold the port until they notice; the next master retries its bind.
    label: "gunicorn (TCP, proxy_pass)",
    server: "gunicorn",
    config: { gunicornBind: "tcp" },
    upstream: { address: "127.0.0.1:8000" },
    change: { key: "processes", from: 4, to: 8 },
    diffLines: (n) => `workers = ${n}`,
    changed: ["gunicorn-config", "gunicorn-reload", "site-probe"],
    measure: workerCount,
    sameMaster: true,
  },
  {
    // Every Waitress change restarts it: on its unix socket, through a standby on the handoff socket.
    label: "waitress (unix socket, proxy_pass)",
    server: "waitress",
    upstream: { address: "unix:/run/sample/waitress.sock", socket: "sample sample 777" },
    change: { key: "threads", from: 4, to: 8 },
    diffLines: (n) => `'--threads=${n}'`,
    changed: ["site-probe", "waitress-program-conf", "waitress-program-update"],
    measure: async (h) => {
      const r = await sshExec(h, 'ps -o args= -p "$(sudo -n supervisorctl pid sample)"');
      return Number(/--threads=(\d+)/.exec(r.stdout)?.[1] ?? NaN);
    },
    // Waitress has no graceful reload: its settings are its command line.
    sameMaster: false,
  },
];

/** One case's shared state for its steps: the case, and what its `beforeAll` sets up (read when a step runs). */
export interface CaseContext {
  readonly c: ServerCase;
  readonly stackName: string;
  readonly host: TestHost;
  readonly stack: Stack;
  /** The site through the host's published HTTP port. */
  readonly url: string;
  /** The case's copy of the sample app (the steps change its code). */
  readonly appDir: string;
  /** Everything the engine printed in this case's previews and ups. */
  readonly printed: string[];
}
