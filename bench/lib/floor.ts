/**
 * The floor for a cold provision: what the stack does, by hand, as ONE plain shell script over ONE
 * SSH connection — the same Debian packages, the same app user and directories, the app copied as a
 * tarball inside that connection, a venv with the same requirements, the same rendered files (taken
 * from a host the stack deployed), the same services started and waited for, then one request.
 *
 * The script marks its phases on stderr (`@@phase <name> <epoch seconds>`), so the report can put the
 * floor's apt, pip and start-up times beside the stack's resources.
 */
import { packagesFor } from "../../components";
import { runOk, round } from "./common";
import { SAMPLE_APP } from "./deploy";
import { sshArgs } from "../../test/hosts/ssh";
import { hostExec, shq, TestHost } from "./hosts";

/** The files the stack wrote, with owner and mode, read from a host it deployed. */
export interface DeployedFiles {
  releaseId: string;
  venvId: string;
  files: { path: string; content: string; owner: string; mode: string }[];
}

const CAPTURED = [
  "/etc/tmpfiles.d/flaskstack-sample.conf",
  "/etc/sample/env",
  "/etc/sample/uwsgi.ini",
  "/etc/supervisor/conf.d/sample.conf",
  "/etc/nginx/sites-available/sample",
];

/** Reads the files the floor writes (and `extra` paths) from a host the stack deployed. */
export async function captureDeployment(h: TestHost, extra: readonly string[] = []): Promise<DeployedFiles> {
  const files: DeployedFiles["files"] = [];
  for (const p of [...CAPTURED, ...extra]) {
    const meta = (await hostExec(h, `stat -c '%U:%G %a' ${shq(p)}`)).trim().split(" ");
    files.push({ path: p, content: await hostExec(h, `cat ${shq(p)}`), owner: meta[0], mode: meta[1] });
  }
  const releaseId = (await hostExec(h, "readlink /srv/sample/current")).trim().replace(/^releases\//, "");
  const venvId = (await hostExec(h, "readlink /srv/sample/venv")).trim().replace(/^venvs\//, "");
  return { releaseId, venvId, files };
}

/** The app directory as a gzipped tarball, base64 (it travels inside the script, on the same stdin). */
async function appTarball(): Promise<string> {
  const out = await runOk("bash", ["-c", `tar -C ${shq(SAMPLE_APP)} --exclude=__pycache__ --exclude='*.pyc' -czf - . | base64 -w 76`]);
  return out;
}

/** The floor script, run as root on the host (`sudo -n bash -s`). */
export async function floorScript(d: DeployedFiles, opts: { uwsgiFromApt?: boolean } = {}): Promise<string> {
  const packages = packagesFor({ uwsgiFromApt: opts.uwsgiFromApt ?? true });
  const rel = `/srv/sample/releases/${d.releaseId}`;
  const venv = `/srv/sample/venvs/${d.venvId}`;
  const heredoc = (content: string, tag: string) => `<<'${tag}'\n${content}${content.endsWith("\n") ? "" : "\n"}${tag}`;
  const writeFile = (f: DeployedFiles["files"][number]) => {
    const [owner, group] = f.owner.split(":");
    return [
      `install -d "$(dirname ${shq(f.path)})"`,
      `cat > ${shq(f.path)} ${heredoc(f.content, "FLOOR_FILE_EOF")}`,
      `chown ${owner}:${group} ${shq(f.path)} && chmod ${f.mode} ${shq(f.path)}`,
    ].join("\n");
  };
  const file = (p: string) => d.files.find((f) => f.path === p)!;
  return [
    "set -eu",
    `phase() { echo "@@phase $1 $(date +%s.%N)" >&2; }`,
    "phase start",
    "export DEBIAN_FRONTEND=noninteractive",
    "apt-get -q update",
    "phase apt-update",
    `apt-get -q install -y --no-install-recommends ${packages.join(" ")}`,
    "phase apt-install",
    "rm -f /etc/nginx/sites-enabled/default",
    "groupadd --system sample",
    "useradd --system --gid sample --home-dir /srv/sample --no-create-home --shell /usr/sbin/nologin sample",
    "install -d -m 0755 /srv/sample /srv/sample/releases /srv/sample/venvs",
    "install -d -m 0750 -o sample -g sample /var/log/sample",
    "install -d -m 0750 -o root -g sample /etc/sample",
    writeFile(file("/etc/tmpfiles.d/flaskstack-sample.conf")),
    "systemd-tmpfiles --create /etc/tmpfiles.d/flaskstack-sample.conf",
    `mkdir -p ${rel}`,
    `base64 -d <<'FLOOR_TAR_EOF' | tar -xz -C ${rel}\n${await appTarball()}FLOOR_TAR_EOF`,
    `chown -R root:root ${rel} && chmod -R u+rwX,go+rX,go-w ${rel}`,
    "phase app",
    `python3 -m venv ${venv}`,
    `${venv}/bin/pip --disable-pip-version-check --no-input install --progress-bar off --prefer-binary -r ${rel}/requirements.txt`,
    `chmod -R go+rX,go-w ${venv}`,
    "phase venv",
    `ln -sfn venvs/${d.venvId} /srv/sample/venv`,
    `ln -sfn releases/${d.releaseId} /srv/sample/current`,
    writeFile(file("/etc/sample/env")),
    writeFile(file("/etc/sample/uwsgi.ini")),
    writeFile(file("/etc/supervisor/conf.d/sample.conf")),
    "systemctl enable --now --quiet supervisor",
    "supervisorctl reread >/dev/null",
    "supervisorctl update sample",
    // The same wait as the stack: supervisor reports RUNNING after startsecs.
    "for i in $(seq 1 30); do supervisorctl status sample | grep -q RUNNING && break; sleep 1; done",
    "supervisorctl status sample | grep -q RUNNING",
    "phase uwsgi",
    writeFile(file("/etc/nginx/sites-available/sample")),
    "ln -sfn /etc/nginx/sites-available/sample /etc/nginx/sites-enabled/sample",
    "nginx -t -q && systemctl reload-or-restart nginx",
    "phase nginx",
    "curl -fsS -o /dev/null http://127.0.0.1/",
    "phase curl",
    "",
  ].join("\n");
}

export interface FloorResult {
  seconds: number;
  /** Seconds per phase, in order (apt-update, apt-install, app, venv, uwsgi, nginx, curl). */
  phases: { name: string; seconds: number }[];
}

/** Runs the floor script over one SSH connection and times it end to end. */
export async function runFloor(h: TestHost, script: string): Promise<FloorResult> {
  const t0 = Date.now();
  const out = await runOk("ssh", [...sshArgs(h.privateKeyPath, h.sshPort, h.user), "sudo -n bash -s 2>&1"], { input: script, timeoutMs: 30 * 60_000 }).catch(
    (e) => {
      throw new Error(`floor script failed on ${h.name}: ${(e as Error).message}`);
    },
  );
  const seconds = round((Date.now() - t0) / 1000, 2);
  const marks = [...out.matchAll(/^@@phase (\S+) (\d+\.\d+)$/gm)].map((m) => ({ name: m[1], t: Number(m[2]) }));
  const phases = marks.slice(1).map((m, i) => ({ name: m.name, seconds: round(m.t - marks[i].t, 2) }));
  return { seconds, phases };
}
