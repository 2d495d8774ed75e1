/**
 * The three sides of the `peers` measurement, each run the way its user runs it, timed end to end:
 *
 * - flaskstack: the `pulumi` CLI in bench/stack (`pulumi up --yes`, preview included; `pulumi preview`);
 * - Ansible: `ansible-playbook` of bench/peers/ansible/site.yml (pipelining, one ControlPersist master);
 * - pyinfra: `pyinfra -y` of bench/peers/pyinfra/deploy.py.
 *
 * The peers read one vars file (the release and venv ids, the staged app, the files a stack deploy
 * wrote, uWSGI's processes); `stagePeerInputs` makes it from a host the stack deployed.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { collectAppFiles, contentHash, renderManifest } from "../../components/release/archive";
import { packagesFor } from "../../components";
import { engineEnv } from "../../test/integration/stack";
import { BENCH, ROOT, round, runOk } from "./common";
import { STACK_DIR } from "./deploy";
import { captureDeployment, DeployedFiles } from "./floor";
import { hostExec, shq, TestHost } from "./hosts";

import { parsePulumiChanges, parsePyinfraChanges } from "./peerFigures";
export { SIDES } from "./peerFigures";
export type { Side } from "./peerFigures";

export const PEERS_DIR = path.join(BENCH, "peers");
export const WORK_DIR = path.join(ROOT, ".cache", "peers");

/** Installs (or finds) the peers' venv (bench/peers/install.sh) and returns its path. */
export async function peersVenv(): Promise<string> {
  return (await runOk(path.join(PEERS_DIR, "install.sh"), [], { timeoutMs: 15 * 60_000 })).trim().split("\n").pop()!;
}

export interface Timed {
  seconds: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with its own cwd and environment and times it. */
export function timedRun(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(
      () => {
        stderr += `\n[bench] timed out after ${opts.timeoutMs} ms\n`;
        child.kill("SIGKILL");
      },
      opts.timeoutMs ?? 20 * 60_000,
    );
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ seconds: round(Number(process.hrtime.bigint() - t0) / 1e9, 2), code: code ?? 1, stdout, stderr });
    });
  });
}

function ok(what: string, r: Timed): Timed {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${(r.stdout + "\n" + r.stderr).trim().slice(-4000)}`);
  return r;
}

// ---- flaskstack: the pulumi CLI ---------------------------------------------------------------

export interface PulumiRun extends Timed {
  /** Resources created, updated, replaced or deleted (from the CLI's summary). */
  changed: number;
}

/**
 * `pulumi <args> --stack <stack> --non-interactive` in `cwd` (bench/stack, or a what-if project) with the
 * engine's environment; `up` gets `--yes` and keeps its preview, as a user running it waits for both.
 */
export async function pulumiCli(args: string[], stack: string, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<PulumiRun> {
  const r = ok(
    `pulumi ${args.join(" ")}`,
    await timedRun("pulumi", [...args, "--stack", stack, "--non-interactive", ...(args[0] === "up" ? ["--yes"] : [])], {
      cwd: opts.cwd ?? STACK_DIR,
      env: { ...engineEnv(), ...opts.env },
    }),
  );
  return { ...r, changed: parsePulumiChanges(r.stdout) };
}

// ---- inputs the peers share -------------------------------------------------------------------

export interface PeerInputs {
  filesDir: string;
  releaseId: string;
  venvId: string;
  venvRequirements: string;
  packages: string[];
  /** The uWSGI ini as a Jinja2 template (processes = {{ uwsgi_processes }}). */
  iniTemplate: string;
  captured: DeployedFiles;
}

/** The files the peers write, beyond the floor's: the environment loader the servers run. */
export const PEER_EXTRA_FILES = ["/etc/sample/load_env.py"];

/** Writes the files a stack deploy wrote (read from `h`) where the peers read them. */
export async function stagePeerInputs(h: TestHost, dir: string): Promise<PeerInputs> {
  const captured = await captureDeployment(h, PEER_EXTRA_FILES);
  const filesDir = path.join(dir, "files");
  fs.rmSync(filesDir, { recursive: true, force: true });
  let iniTemplate = "";
  for (const f of captured.files) {
    const dest = path.join(filesDir, f.path);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, f.content);
    if (f.path === "/etc/sample/uwsgi.ini") {
      if (!/^processes = \d+$/m.test(f.content)) throw new Error(`no "processes = N" line in the stack's uwsgi.ini:\n${f.content}`);
      if (/\{\{|\{%|\{#/.test(f.content)) throw new Error("the stack's uwsgi.ini holds Jinja2 markers: it cannot become a template as it is");
      iniTemplate = f.content.replace(/^processes = \d+$/m, "processes = {{ uwsgi_processes }}");
      // Jinja2 drops one newline after a block; a variable keeps them. The template ends like the file.
      fs.writeFileSync(path.join(filesDir, "uwsgi.ini.j2"), iniTemplate);
    }
  }
  const venvRequirements = await hostExec(h, `cat ${shq(`/srv/sample/venvs/${captured.venvId}/requirements.txt`)}`);
  return {
    filesDir,
    releaseId: captured.releaseId,
    venvId: captured.venvId,
    venvRequirements,
    packages: packagesFor({ uwsgiFromApt: true }),
    iniTemplate,
    captured,
  };
}

/** The uWSGI ini the template renders for `processes` (what the peers will write). */
export function renderIni(template: string, processes: number): string {
  return template.replace("{{ uwsgi_processes }}", String(processes));
}

/** Copies the files the stack ships from `source` into `dest` (same file set, same modes); returns the stack's release id. */
export function stageApp(source: string, dest: string): string {
  const files = collectAppFiles(source);
  fs.rmSync(dest, { recursive: true, force: true });
  for (const f of files) {
    const p = path.join(dest, f.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.data, { mode: parseInt(f.mode, 8) });
  }
  return contentHash(renderManifest(files));
}

export interface PeerVars {
  packages: string[];
  release_id: string;
  venv_id: string;
  venv_requirements: string;
  app_src: string;
  files_dir: string;
  uwsgi_processes: number;
}

export function writeVars(file: string, v: PeerVars): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(v, null, 2) + "\n");
  return file;
}

// ---- the peers ---------------------------------------------------------------------------------

export interface PeerRun extends Timed {
  /** Tasks/operations that reported a change. */
  changed: number;
}

/** How a peer reaches the host: the host's own SSH port, or a delay relay in front of it. */
export interface Target {
  host: TestHost;
  sshPort: number;
}

export async function runAnsible(venv: string, t: Target, varsFile: string, workDir: string): Promise<PeerRun> {
  const dir = path.join(PEERS_DIR, "ansible");
  const inventory = path.join(workDir, `inventory-${t.host.name}.ini`);
  fs.writeFileSync(
    inventory,
    fs
      .readFileSync(path.join(dir, "inventory.ini.tmpl"), "utf8")
      .split("@PORT@")
      .join(String(t.sshPort))
      .split("@USER@")
      .join(t.host.user)
      .split("@KEY@")
      .join(t.host.privateKeyPath),
  );
  // A fresh control directory per run: no run reuses the SSH master of the one before.
  const control = fs.mkdtempSync(path.join(workDir, "cp-"));
  try {
    const r = ok(
      "ansible-playbook",
      await timedRun(path.join(venv, "bin", "ansible-playbook"), ["-i", inventory, path.join(dir, "site.yml"), "-e", `@${varsFile}`], {
        cwd: dir,
        env: {
          ANSIBLE_CONFIG: path.join(dir, "ansible.cfg"),
          ANSIBLE_SSH_CONTROL_PATH_DIR: control,
          ANSIBLE_NOCOLOR: "1",
          ANSIBLE_LOCAL_TEMP: path.join(workDir, "ansible-tmp"),
          ANSIBLE_HOME: path.join(workDir, "ansible-home"),
          PATH: `${path.join(venv, "bin")}:${process.env.PATH}`,
        },
      }),
    );
    const recap = /^host\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/m.exec(r.stdout);
    if (!recap) throw new Error(`no PLAY RECAP in ansible-playbook's output:\n${r.stdout.slice(-3000)}`);
    return { ...r, changed: Number(recap[2]) };
  } finally {
    await closeMasters(control);
    fs.rmSync(control, { recursive: true, force: true });
  }
}

/** Ends the SSH master connections ControlPersist left in `dir` (`ssh -O exit` on each socket). */
async function closeMasters(dir: string): Promise<void> {
  for (const s of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    await timedRun("ssh", ["-o", `ControlPath=${path.join(dir, s)}`, "-O", "exit", "peers-master"], { timeoutMs: 10_000 }).catch(() => undefined);
  }
}

export async function runPyinfra(venv: string, t: Target, varsFile: string): Promise<PeerRun> {
  const dir = path.join(PEERS_DIR, "pyinfra");
  const r = ok(
    "pyinfra",
    await timedRun(path.join(venv, "bin", "pyinfra"), ["-y", "inventory.py", "deploy.py"], {
      cwd: dir,
      env: {
        PEERS_VARS: varsFile,
        PEERS_SSH_PORT: String(t.sshPort),
        PEERS_SSH_USER: t.host.user,
        PEERS_SSH_KEY: t.host.privateKeyPath,
        PYINFRA_PROGRESS: "off",
        NO_COLOR: "1",
        TERM: "dumb",
      },
    }),
  );
  return { ...r, changed: parsePyinfraChanges(r.stdout + "\n" + r.stderr) };
}

// ---- the program the flaskstack side runs ------------------------------------------------------

export interface ProgramSnapshot {
  /** The commit the program was taken from. */
  commit: string;
  dir: string;
  /** bench/stack inside the snapshot: the project `pulumi` runs in. */
  stackDir: string;
}

/**
 * The root program as committed (HEAD): index.ts, program.js and its build, components/, examples/ and bench/stack exported into
 * .cache/peers/src-<commit>, with the project's node_modules linked in. Work in progress in the work
 * tree (other people edit components/ while this runs) then cannot change the program between rounds.
 */
export async function snapshotProgram(): Promise<ProgramSnapshot> {
  const commit = (await runOk("git", ["-C", ROOT, "rev-parse", "HEAD"])).trim();
  const dir = path.join(WORK_DIR, `src-${commit.slice(0, 12)}`);
  if (!fs.existsSync(path.join(dir, ".complete"))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    await runOk("bash", [
      "-c",
      `git -C ${shq(ROOT)} archive ${commit} index.ts program.js scripts/build.js components examples bench/stack tsconfig.json tsconfig.build.json package.json package-lock.json | tar -x -C ${shq(dir)}`,
    ]);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, ".complete"), commit + "\n");
  }
  return { commit, dir, stackDir: path.join(dir, "bench", "stack") };
}
