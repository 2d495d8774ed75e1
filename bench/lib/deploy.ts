/**
 * `pulumi up` through the Automation API, timed, with a per-resource profile from the engine's
 * events: when each resource started and finished (arrival time of its events), and its operation.
 *
 * The root program runs as the project in bench/stack (which re-exports ../../index.ts unchanged),
 * so stack config files stay inside bench/; the fleet program is an inline program that builds the
 * same stack once per host.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { FlaskApp, Host, NginxSite, packagesFor, UwsgiService } from "../../components";
import { hostConfig, inlineStack, projectStack, uniqueStackName } from "../../test/integration/stack";
import { BENCH, ROOT, round } from "./common";
import { TestHost } from "./hosts";

export const STACK_DIR = path.join(BENCH, "stack");
export const SAMPLE_APP = path.join(ROOT, "examples", "app");

export type Config = Record<string, { value: string; secret?: boolean }>;

/** The root stack program's stack for a host (bench/stack project). */
export async function rootStack(tag: string, h: TestHost, extra: Config = {}): Promise<Stack> {
  return projectStack(uniqueStackName(`bench-${tag}`), { ...hostConfig(h), ...extra }, STACK_DIR);
}

export interface ResourceTiming {
  name: string;
  type: string;
  op: string;
  /** Seconds from the start of `up` until the engine began / finished the resource. */
  start: number;
  end?: number;
}

export interface UpResult {
  seconds: number;
  changes: Record<string, number>;
  /** Seconds from the start of `up` to the first resource of the program (CLI, plugins, ts-node). */
  programStart?: number;
  resources: ResourceTiming[];
  events: EngineEvent[];
}

/** Runs `up` and records the wall time and when each resource ran. */
export async function timedUp(stack: Stack): Promise<UpResult> {
  const resources = new Map<string, ResourceTiming>();
  const events: EngineEvent[] = [];
  let programStart: number | undefined;
  const t0 = Date.now();
  const at = () => round((Date.now() - t0) / 1000, 2);
  const up = await stack.up({
    onEvent: (e) => {
      events.push(e);
      const pre = e.resourcePreEvent?.metadata;
      if (pre) {
        if (pre.type !== "pulumi:pulumi:Stack" && programStart === undefined) programStart = at();
        resources.set(pre.urn, { name: pre.urn.split("::").pop() ?? pre.urn, type: pre.type, op: pre.op, start: at() });
      }
      const out = e.resOutputsEvent?.metadata;
      if (out) {
        const r = resources.get(out.urn);
        if (r) r.end = at();
      }
    },
  });
  const seconds = round((Date.now() - t0) / 1000, 2);
  if (up.summary.result !== "succeeded") throw new Error(`up ${up.summary.result}: ${up.stderr.slice(-2000)}`);
  return { seconds, changes: (up.summary.resourceChanges ?? {}) as Record<string, number>, programStart, resources: [...resources.values()], events };
}

/** Resources the engine acted on (not `same`, not `read`), remote commands first. */
export function actedOn(r: UpResult): ResourceTiming[] {
  return r.resources.filter((x) => !["same", "read"].includes(x.op) && x.type !== "pulumi:pulumi:Stack" && x.type !== "pulumi:providers:command");
}

/** Remote commands (command:remote:Command) only, with their durations. */
export function remoteCommands(r: UpResult): (ResourceTiming & { seconds: number })[] {
  return r.resources
    .filter((x) => x.type === "command:remote:Command" && x.op !== "same")
    .map((x) => ({ ...x, seconds: x.end !== undefined ? round(x.end - x.start, 2) : NaN }));
}

/** Removes the stack's state without running deletes (its hosts are removed anyway). */
export async function dropStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
}

// ---- the fleet program ---------------------------------------------------------------------

/**
 * The root program's default stack (sample app, uWSGI from apt on a unix socket, nginx, supervisor)
 * once per host, in ONE stack: what a user writes to put the same app on several machines.
 */
export function fleetProgram(hosts: TestHost[]): () => Promise<Record<string, unknown>> {
  return async () => {
    const urls: Record<string, pulumi.Output<string>> = {};
    hosts.forEach((h, i) => {
      const n = `h${i + 1}`;
      const host = new Host(`${n}-host`, {
        address: h.host,
        port: h.sshPort,
        user: h.user,
        privateKey: pulumi.secret(h.privateKey),
        packages: packagesFor({ uwsgiFromApt: true }),
      });
      const app = new FlaskApp(`${n}-app`, { host, name: "sample", source: SAMPLE_APP, entry: "sample:create_app()" });
      const service = new UwsgiService(`${n}-uwsgi`, { app, source: "apt" });
      new NginxSite(`${n}-site`, {
        host,
        name: "sample",
        upstreams: [service],
        serverNames: ["_"],
        defaultServer: true,
        staticLocations: [{ urlPath: "/static/", dir: `${app.app.appDir}/sample/static/` }],
      });
      urls[n] = pulumi.output(`http://127.0.0.1:${h.httpPort}/`);
    });
    return urls;
  };
}

export async function fleetStack(tag: string, hosts: TestHost[]): Promise<Stack> {
  return inlineStack({ projectName: "flaskstack-bench-fleet", stackName: uniqueStackName(`bench-${tag}`), program: fleetProgram(hosts) });
}
