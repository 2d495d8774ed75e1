/**
 * The Docker daemon (scripts/setup-docker.sh), the host images (scripts/build-host-image.sh) and the
 * `docker run` flags systemd needs as PID 1 (see the notes on Docker flags in harness.ts).
 */
import * as path from "path";
import { defaultLog, HostKind, ROOT } from "./common";
import { docker, run, runOk } from "./process";

let dockerReady: Promise<void> | undefined;

/** Starts the Docker daemon if none answers (scripts/setup-docker.sh). Once per process. */
export function ensureDocker(log: (m: string) => void = defaultLog): Promise<void> {
  if (!dockerReady) {
    dockerReady = (async () => {
      const info = await run("docker", ["info", "--format", "{{.ServerVersion}}"]).catch(() => undefined);
      if (info && info.code === 0) return;
      await runOk("bash", [path.join(ROOT, "scripts", "setup-docker.sh")], { onStderrLine: log });
    })();
    dockerReady.catch(() => (dockerReady = undefined));
  }
  return dockerReady;
}

const images = new Map<HostKind, Promise<string>>();

/** Builds the kind's image if its recipe changed (scripts/build-host-image.sh); returns the tag. */
export function ensureImage(kind: HostKind, log: (m: string) => void = defaultLog): Promise<string> {
  let p = images.get(kind);
  if (!p) {
    p = (async () => {
      await ensureDocker(log);
      const out = await runOk("bash", [path.join(ROOT, "scripts", "build-host-image.sh"), kind], {
        onStderrLine: log,
      });
      const tag = out.trim().split("\n").pop() ?? "";
      if (!/^flaskstack-host:/.test(tag)) throw new Error(`build-host-image.sh ${kind} printed no image tag: ${out}`);
      return tag;
    })();
    p.catch(() => images.delete(kind));
    images.set(kind, p);
  }
  return p;
}

export async function cgroupArgs(): Promise<string[]> {
  const v = (await docker(["info", "--format", "{{.CgroupVersion}}"])).trim();
  const common = [
    "--cap-add",
    "SYS_ADMIN",
    "--security-opt",
    "seccomp=unconfined",
    "--security-opt",
    "apparmor=unconfined",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
  ];
  if (v === "2") {
    // Untested here (this machine is cgroup v1): systemd needs a writable cgroup tree on v2.
    return [...common, "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw"];
  }
  return [...common, "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro"];
}
