/** The `peers` what-ifs: where flaskstack's no-op and change time goes, on one stack deployed once. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { hostConfig, projectStack, uniqueStackName } from "../../../test/integration/stack";
import { log, round, runOk } from "../../lib/common";
import { dropStack } from "../../lib/deploy";
import { activitySince, journalMark, removeBenchHosts, startBenchHosts } from "../../lib/hosts";
import { WhatIf } from "../../lib/peerFigures";
import { pulumiCli, timedRun } from "../../lib/peers";
import { Context } from "./round";

/**
 * Where flaskstack's no-op and change time goes, on one fresh host deployed once: the CLI alone, the
 * preview, the compile after an edit to the program, and the command plugin's start. Each
 * variant runs `runs` times, interleaved.
 */
export async function whatIfs(ctx: Context, runs: number): Promise<WhatIf[]> {
  const hosts = await startBenchHosts("vm", 1, "peers-whatif");
  const [h] = hosts;
  let stack: Stack | undefined;
  const out = new Map<string, number[]>();
  const add = (label: string, s: number) => out.set(label, [...(out.get(label) ?? []), s]);
  // The edits below go back afterwards, compiled, so the rounds that follow start from the same program.
  const program = path.join(ctx.snap.dir, "index.ts");
  const original = fs.readFileSync(program, "utf8");
  try {
    const stackName = uniqueStackName("bench-peers-whatif");
    stack = await projectStack(stackName, { ...hostConfig(h), processes: { value: "4" }, appDir: { value: ctx.apps.base.dir } }, ctx.snap.stackDir);
    await pulumiCli(["up"], stackName, { cwd: ctx.snap.stackDir });
    const run = (args: string[], env: Record<string, string> = {}) => pulumiCli(args, stackName, { cwd: ctx.snap.stackDir, env });
    const plugin = commandPluginPath();
    for (let i = 0; i < runs; i++) {
      log(`peers what-ifs run ${i + 1}/${runs}`);
      add("`pulumi version` (CLI start alone)", (await timedRun("pulumi", ["version"], { env: {} })).seconds);
      if (plugin) add("command plugin: start until it listens", await pluginStart(plugin));
      add("no-op `pulumi up`, as shipped (preview + update)", (await run(["up"])).seconds);
      add("no-op `pulumi preview`, as shipped", (await run(["preview"])).seconds);
      add("no-op `pulumi up --skip-preview`", (await run(["up", "--skip-preview"])).seconds);
      // An edited program is type-checked and compiled once, by the preview's run, before it runs.
      fs.appendFileSync(program, `// edit ${i}\n`);
      add("no-op `pulumi up` right after an edit to index.ts (compiles first)", (await run(["up"])).seconds);
      // The change path: 4 → 8 as shipped, then 8 → 4 with --skip-preview.
      await stack.setConfig("processes", { value: "8" });
      const mark = await journalMark(h);
      add("config change `pulumi up`, as shipped", (await run(["up"])).seconds);
      const act = await activitySince(h, mark);
      add("config change: SSH logins (as shipped)", act.connections);
      await stack.setConfig("processes", { value: "4" });
      add("config change `pulumi up --skip-preview`", (await run(["up", "--skip-preview"])).seconds);
    }
    return [...out.entries()].map(([label, samples]) => ({ label, samples }));
  } finally {
    fs.writeFileSync(program, original);
    await runOk(process.execPath, [path.join(ctx.snap.dir, "scripts", "build.js")]);
    await dropStack(stack);
    await removeBenchHosts(hosts);
  }
}

function commandPluginPath(): string | undefined {
  const home = process.env.PULUMI_HOME ?? "";
  const plugins = path.join(home, "plugins");
  if (!fs.existsSync(plugins)) return undefined;
  for (const d of fs.readdirSync(plugins).filter((n) => n.startsWith("resource-command-"))) {
    const p = path.join(plugins, d, "pulumi-resource-command");
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Seconds from starting the resource plugin until it prints the port it listens on (then it is killed). */
function pluginStart(binary: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(binary, ["127.0.0.1:1"], { stdio: ["ignore", "pipe", "ignore"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.once("data", () => {
      const s = round(Number(process.hrtime.bigint() - t0) / 1e9, 3);
      child.kill("SIGKILL");
      clearTimeout(timer);
      resolve(s);
    });
    child.on("error", reject);
    child.on("close", () => clearTimeout(timer));
  });
}
