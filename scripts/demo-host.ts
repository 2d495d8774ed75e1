/**
 * The demo's host: a `vm` test host kept between runs (so a second demo run is a no-op `pulumi up`).
 * Prints its connection details as JSON on stdout; `--remove` removes it.
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { removeHosts, startHosts, TestHost } from "../test/hosts/harness";

const saved = path.resolve(__dirname, "..", ".cache", "demo", "host.json");

function running(host: TestHost): boolean {
  const r = spawnSync("docker", ["inspect", "-f", "{{.State.Running}}", host.name], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === "true" && fs.existsSync(host.privateKeyPath);
}

async function main(): Promise<void> {
  const previous: TestHost | undefined = fs.existsSync(saved) ? JSON.parse(fs.readFileSync(saved, "utf8")) : undefined;
  if (process.argv.includes("--remove")) {
    if (previous) await removeHosts([previous]);
    fs.rmSync(saved, { force: true });
    return;
  }
  if (previous && running(previous)) {
    process.stderr.write(`reusing demo host ${previous.name}\n`);
    process.stdout.write(JSON.stringify(previous) + "\n");
    return;
  }
  const [host] = await startHosts("vm", 1, { prefix: "flaskstack-demo", owner: "manual" });
  fs.mkdirSync(path.dirname(saved), { recursive: true });
  fs.writeFileSync(saved, JSON.stringify(host, null, 2), { mode: 0o600 });
  process.stdout.write(JSON.stringify(host) + "\n");
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
