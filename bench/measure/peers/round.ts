/**
 * One `peers` round: three fresh `vm` hosts, one per side, through the phases cold → no-op → config →
 * code, each side timed and checked after its step and the three hosts checked against each other.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { hostConfig, projectStack, uniqueStackName } from "../../../test/integration/stack";
import { log, round } from "../../lib/common";
import { dropStack, SAMPLE_APP } from "../../lib/deploy";
import { DelayRelay, startDelayRelay } from "../../lib/delay";
import { activitySince, hostExec, journalMark, removeBenchHosts, startBenchHosts, TestHost } from "../../lib/hosts";
import { waitHttp } from "../../lib/load";
import { Phase, PHASES, PeersRound, Step } from "../../lib/peerFigures";
import { PeerInputs, ProgramSnapshot, pulumiCli, renderIni, runAnsible, runPyinfra, Side, SIDES, stagePeerInputs, Target, writeVars } from "../../lib/peers";
import { changedFiles, footprint, markFiles, pages, Running, running, waitWorkers } from "./checks";

const sidesOf = (): Record<Side, Partial<Record<Phase, Step>>> => ({ flaskstack: {}, ansible: {}, pyinfra: {} });

export interface Context {
  venv: string;
  snap: ProgramSnapshot;
  work: string;
  /** The staged apps: the sample app and the changed one, with their release ids. */
  apps: { base: { dir: string; releaseId: string; stagedDir: string }; changed: { dir: string; releaseId: string; stagedDir: string } };
  inputs?: PeerInputs;
  versions: Record<string, string>;
}

const CHANGED_LINE = "  <p>Release two of the sample app.</p>";

/** A copy of the sample app whose page says one more line (a code change, requirements unchanged). */
export function changedApp(work: string): string {
  const dir = path.join(work, "app-changed");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(SAMPLE_APP, dir, { recursive: true, filter: (p) => !p.includes("__pycache__") });
  const page = path.join(dir, "sample", "templates", "index.html");
  fs.writeFileSync(page, fs.readFileSync(page, "utf8").replace("</body>", `${CHANGED_LINE}\n</body>`));
  return dir;
}

async function measured<T extends { seconds: number; changed: number }>(h: TestHost, fn: () => Promise<T>): Promise<Step & { result: T }> {
  const mark = await journalMark(h);
  const result = await fn();
  const act = await activitySince(h, mark);
  return { seconds: result.seconds, connections: act.connections, commands: act.commands, changed: result.changed, result };
}

export async function runRound(ctx: Context, index: number, order: Side[], warmup: boolean, delayMs: number): Promise<PeersRound> {
  const tag = `peers${delayMs ? `-d${delayMs}` : ""}`;
  const round_: PeersRound = { index, warmup, delayMs, order, steps: sidesOf(), checks: [], loadAtStart: os.loadavg().map((l) => round(l, 2)) };
  const hosts = await startBenchHosts("vm", 3, tag);
  const hostOf: Record<Side, TestHost> = { flaskstack: hosts[0], ansible: hosts[1], pyinfra: hosts[2] };
  const relays: DelayRelay[] = [];
  let stack: Stack | undefined;
  try {
    const target: Record<Side, Target> = {} as Record<Side, Target>;
    for (const s of SIDES) {
      const h = hostOf[s];
      if (delayMs > 0) {
        const relay = await startDelayRelay(h.sshPort, delayMs);
        relays.push(relay);
        target[s] = { host: h, sshPort: relay.port };
      } else target[s] = { host: h, sshPort: h.sshPort };
    }
    const stackName = uniqueStackName(`bench-${tag}`);
    stack = await projectStack(
      stackName,
      { ...hostConfig({ ...hostOf.flaskstack, sshPort: target.flaskstack.sshPort }), processes: { value: "4" }, appDir: { value: ctx.apps.base.dir } },
      ctx.snap.stackDir,
    );
    const vars = (processes: number, app: "base" | "changed") => {
      if (!ctx.inputs) throw new Error("the peers need the files of a stack deploy first");
      const a = ctx.apps[app];
      return writeVars(path.join(ctx.work, `vars-${processes}-${app}.json`), {
        packages: ctx.inputs.packages,
        release_id: a.releaseId,
        venv_id: ctx.inputs.venvId,
        venv_requirements: ctx.inputs.venvRequirements,
        app_src: a.stagedDir,
        files_dir: ctx.inputs.filesDir,
        uwsgi_processes: processes,
      });
    };
    const setting: Record<Phase, { processes: number; app: "base" | "changed" }> = {
      cold: { processes: 4, app: "base" },
      noop: { processes: 4, app: "base" },
      config: { processes: 8, app: "base" },
      code: { processes: 8, app: "changed" },
    };
    for (const phase of PHASES) {
      const want = setting[phase];
      if (phase === "config") await stack.setConfig("processes", { value: "8" });
      if (phase === "code") await stack.setConfig("appDir", { value: ctx.apps.changed.dir });
      const before: Partial<Record<Side, Running>> = {};
      for (const side of order) {
        const h = hostOf[side];
        if (phase !== "cold") {
          before[side] = await running(h);
          await markFiles(h);
        }
        let step: Step;
        if (side === "flaskstack") {
          if (phase === "noop") {
            const p = await measured(h, () => pulumiCli(["preview"], stackName, { cwd: ctx.snap.stackDir }));
            round_.preview = { seconds: p.seconds, connections: p.connections, commands: p.commands, changed: p.changed };
          }
          step = await measured(h, () => pulumiCli(["up"], stackName, { cwd: ctx.snap.stackDir }));
          if (!ctx.inputs) {
            ctx.inputs = await stagePeerInputs(h, ctx.work);
            if (ctx.inputs.releaseId !== ctx.apps.base.releaseId) {
              throw new Error(`the stack's release id ${ctx.inputs.releaseId} is not the one computed for the staged app (${ctx.apps.base.releaseId})`);
            }
          }
        } else {
          const file = vars(want.processes, want.app);
          step = await measured(h, () => (side === "ansible" ? runAnsible(ctx.venv, target[side], file, ctx.work) : runPyinfra(ctx.venv, target[side], file)));
        }
        round_.steps[side][phase] = { seconds: step.seconds, connections: step.connections, commands: step.commands, changed: step.changed };
        log(
          `${tag} round ${index}${warmup ? " (warm-up)" : ""} ${phase} ${side}: ${step.seconds}s, ${step.connections} SSH logins, ${step.commands} commands, ${step.changed} changed`,
        );
        await waitHttp(h, "http://127.0.0.1/healthz", 60);
        // Per side: what its phase must (not) have done.
        if (phase === "noop") {
          const files = await changedFiles(h);
          const now = await running(h);
          const b = before[side]!;
          const same = now.master === b.master && now.nginx === b.nginx && now.workers.join() === b.workers.join();
          if (files.length || !same || step.changed !== 0) {
            throw new Error(
              `${side}: the no-op changed something: ${step.changed} reported, files ${files.join(", ") || "none"}, processes ${same ? "same" : `${JSON.stringify(b)} → ${JSON.stringify(now)}`}`,
            );
          }
        }
        if (phase === "config" || phase === "code") {
          const now = await waitWorkers(h, 8);
          if (now.master !== before[side]!.master || now.workers.length !== 8) {
            throw new Error(`${side}: ${phase} was not a graceful reload: master ${before[side]!.master} → ${now.master}, ${now.workers.length} workers`);
          }
        }
        if (phase === "config" && side === "flaskstack" && warmup && ctx.inputs) {
          // The peers' template at 8 must be the file the stack writes at 8.
          const ini = await hostExec(h, "cat /etc/sample/uwsgi.ini");
          if (ini !== renderIni(ctx.inputs.iniTemplate, 8)) throw new Error("the peers' uwsgi.ini at processes 8 differs from the stack's");
        }
      }
      // The three hosts against each other.
      const [pf, pa, pp] = await Promise.all(SIDES.map((s) => pages(hostOf[s])));
      if (pf !== pa || pf !== pp) throw new Error(`${phase}: the pages differ:\n--- flaskstack\n${pf}\n--- ansible\n${pa}\n--- pyinfra\n${pp}`);
      const [ff, fa, fp] = await Promise.all(SIDES.map((s) => footprint(hostOf[s])));
      if (ff !== fa || ff !== fp) throw new Error(`${phase}: what is on the hosts differs:\n--- flaskstack\n${ff}\n--- ansible\n${fa}\n--- pyinfra\n${fp}`);
      if (phase === "code" && !pf.includes(CHANGED_LINE.trim())) throw new Error("code: the new page is not served");
      round_.checks.push(`${phase}: same pages and files on the three hosts`);
    }
    return round_;
  } finally {
    await dropStack(stack);
    await Promise.all(relays.map((r) => r.close()));
    await removeBenchHosts(hosts);
  }
}
