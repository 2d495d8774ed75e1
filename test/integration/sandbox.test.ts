/**
 * The root stack with no `host` configured: it makes its own host, a LocalSandbox container created
 * by `@pulumi/docker` inside `pulumi up`, deploys into it, serves the page, changes nothing on a
 * second `up`, and `pulumi destroy` leaves no container, volume or key behind. Runs when the docker
 * plugin is installed (as in CI).
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { Stack } from "@pulumi/pulumi/automation";
import { getUntil } from "./http";
import { engineEnv, projectStack, removeStackFile, uniqueStackName } from "./stack";

const STEP = 10 * 60_000;
const dockerPlugin = fs.existsSync(path.join(engineEnv().PULUMI_HOME ?? "", ".flaskstack-docker-plugin"));

function docker(...args: string[]): string {
  const r = spawnSync("docker", args, { encoding: "utf8" });
  return r.stdout.trim();
}

/** sshd's accepted logins inside the container, read with `docker exec` (which is no SSH login). */
function acceptedLogins(container: string): number {
  return Number(docker("exec", container, "sh", "-c", "journalctl -u ssh --no-pager -o cat | grep -c '^Accepted ' || true"));
}

(dockerPlugin ? describe : describe.skip)("the root stack on a sandbox host of its own (@pulumi/docker)", () => {
  const stackName = uniqueStackName("sandbox");
  const container = `flaskstack-${stackName}`;
  let stack: Stack;
  const volumesBefore = docker("volume", "ls", "-q").split("\n").filter(Boolean).sort();

  beforeAll(async () => {
    stack = await projectStack(stackName, {});
  }, STEP);

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack(stackName).catch(() => undefined);
    removeStackFile(stackName);
    spawnSync("docker", ["rm", "-f", container]);
  }, STEP);

  it(
    "creates its host in `pulumi up` and serves the page from it",
    async () => {
      const up = await stack.up();
      expect(up.summary.result).toBe("succeeded");
      expect(up.summary.resourceChanges?.create).toBeGreaterThan(20);
      expect(docker("inspect", "-f", '{{.State.Running}} {{index .Config.Labels "flaskstack.sandbox"}}', container)).toBe(`true ${container}`);
      const host = up.outputs.sandboxHost.value as { sshPort: number; httpPort: number; user: string };
      // Published on 127.0.0.1 only.
      expect(docker("port", container, "22")).toBe(`127.0.0.1:${host.sshPort}`);
      expect(up.outputs.url.value).toBe(`http://127.0.0.1:${host.httpPort}/`);
      expect(up.outputs.sandboxPrivateKey.secret).toBe(true);
      expect(up.outputs.sandboxPrivateKey.value).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      const page = await getUntil(up.outputs.url.value, (a) => a.status === 200);
      expect(page.body).toContain("<h1>");
      expect(page.headers.server).toMatch(/^nginx/);
    },
    STEP,
  );

  it(
    "changes nothing and opens no SSH connection on a second up",
    async () => {
      const before = acceptedLogins(container);
      expect(before).toBeGreaterThan(0);
      const up = await stack.up();
      expect(Object.keys(up.summary.resourceChanges ?? {})).toEqual(["same"]);
      expect(acceptedLogins(container)).toBe(before);
    },
    STEP,
  );

  it(
    "destroy leaves no container, volume or key behind",
    async () => {
      const result = await stack.destroy();
      expect(result.summary.result).toBe("succeeded");
      expect(docker("ps", "-a", "--filter", `name=^${container}$`, "--format", "{{.Names}}")).toBe("");
      expect(docker("volume", "ls", "-q").split("\n").filter(Boolean).sort()).toEqual(volumesBefore);
      const state = await stack.exportStack();
      expect(JSON.stringify(state.deployment)).not.toContain("PRIVATE KEY");
    },
    STEP,
  );
});
