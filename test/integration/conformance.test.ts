/**
 * Conformance of flaskstack's stand-in command plugin with the official one: the same programs run
 * on both, each against a fresh `vm` host of its own, and what happened is compared — the engine's
 * results and messages, the preview's detailed diff, the outputs kept in state, and the files left
 * on the host. Runs when the official plugin is installed (as in CI); the stand-in is what a machine
 * without it falls back to.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { sshExec, startHosts, TestHost, removeHosts } from "../hosts/harness";
import { get, getUntil } from "./http";
import { commandPlugin, hostConfig, inlineStack, PluginChoice, projectStack, tearDown, uniqueStackName } from "./stack";

const STEP = 10 * 60_000;
const PLUGINS: PluginChoice[] = ["installed", "stand-in"];
const official = commandPlugin().kind === "official";
const WORK = "/tmp/conformance";

/** One program per phase; every phase is applied to both plugins' stacks in turn. */
type Phase = "first" | "changed" | "refused-env" | "failing";

function program(host: TestHost, local: string, phase: () => Phase): () => Promise<Record<string, unknown>> {
  return async () => {
    const p = phase();
    const connection = { host: host.host, port: host.sshPort, user: host.user, privateKey: host.privateKey };
    const changed = p !== "first";
    const probe = new command.remote.Command("probe", {
      connection,
      create: `mkdir -p ${WORK} && cat > ${WORK}/probe.stdin && echo created && echo to-stderr >&2`,
      update: `echo updated ${changed ? 2 : 1} && echo updated > ${WORK}/probe.updated`,
      delete: `rm -f ${WORK}/probe.stdin ${WORK}/probe.updated`,
      stdin: changed ? "hello again\n" : "hello\n",
    });
    const replaced = new command.remote.Command(
      "replaced",
      {
        connection,
        create: pulumi.interpolate`mkdir -p ${WORK} && echo created ${changed ? "b" : "a"} >> ${WORK}/replaced.log`,
        delete: `echo deleted >> ${WORK}/replaced.log`,
        triggers: [changed ? "b" : "a"],
      },
      { dependsOn: [probe] },
    );
    // Previous output offered with setenv on update (the default): stock sshd refuses it.
    const prev = new command.remote.Command(
      "previous-output",
      {
        connection,
        create: "echo first",
        update: `printf '%s' "\${PULUMI_COMMAND_STDOUT:-not offered}" > ${WORK}/prev.seen; echo second${changed ? "" : " "}`,
      },
      { dependsOn: [probe] },
    );
    fs.writeFileSync(path.join(local, "file.txt"), changed ? "version two\n" : "version one\n");
    const file = new command.remote.CopyToRemote(
      "file",
      { connection, source: new pulumi.asset.FileAsset(path.join(local, "file.txt")), remotePath: `${WORK}/in/deep/file.txt` },
      { dependsOn: [probe] },
    );
    const dir = new command.remote.CopyToRemote(
      "dir",
      { connection, source: new pulumi.asset.FileArchive(path.join(local, "site")), remotePath: `${WORK}/dir` },
      { dependsOn: [probe] },
    );
    const text = new command.remote.CopyToRemote(
      "text",
      { connection, source: new pulumi.asset.StringAsset(changed ? "text two" : "text one"), remotePath: `${WORK}/text.txt` },
      { dependsOn: [probe] },
    );
    if (p === "refused-env") {
      new command.remote.Command(
        "with-env",
        { connection, create: `touch ${WORK}/with-env.ran`, environment: { FLASKSTACK_TOKEN: "x", LANG: "C.UTF-8" } },
        { dependsOn: [probe] },
      );
    }
    if (p === "failing") {
      new command.remote.Command("failing", { connection, create: "echo partial; echo broken >&2; exit 3" }, { dependsOn: [probe] });
    }
    return {
      probe: probe.stdout,
      probeErr: probe.stderr,
      replaced: replaced.stdout,
      prev: prev.stdout,
      copies: pulumi.all([file.remotePath, dir.remotePath, text.remotePath]),
    };
  };
}

interface Outcome {
  ok: boolean;
  changes: Record<string, number>;
  /** Resource name → the preview's step, the changed keys and the detailed diff (key:kind), sorted. */
  diff: Record<string, string[]>;
  /** Warnings and errors the engine printed (text only, names normalised). */
  diagnostics: string[];
  outputs: Record<string, unknown>;
  /** Every file under WORK: path, size, mode, content hash. */
  files: string;
}

/**
 * A message with this run's names, ports and ids taken out. A command's combined output follows its
 * first line; stdout and stderr arrive interleaved in no fixed order (with either plugin), so those
 * lines are sorted.
 */
function normalise(text: string, host: TestHost, stackName: string): string {
  const [first, ...rest] = text
    .split(stackName)
    .join("STACK")
    .split(String(host.sshPort))
    .join("PORT")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .replace(/\b[0-9a-f]{8}\b/g, "ID")
    .split("\n");
  return [first, ...rest.sort()].join("\n");
}

async function apply(stack: Stack, host: TestHost, stackName: string): Promise<Outcome> {
  const diff: Record<string, string[]> = {};
  await stack.preview({
    onEvent: (e: EngineEvent) => {
      const m = e.resourcePreEvent?.metadata;
      if (m && m.type.startsWith("command:")) {
        const name = m.urn.split("::").pop() as string;
        diff[name] = [
          ...(diff[name] ?? []),
          `op:${m.op}`,
          ...(m.diffs ?? []).map((k) => `changed:${k}`).sort(),
          ...Object.entries(m.detailedDiff ?? {})
            .map(([k, v]) => `${k}:${v.diffKind}`)
            .sort(),
        ];
      }
    },
  });
  const diagnostics: string[] = [];
  const onEvent = (e: EngineEvent) => {
    const d = e.diagnosticEvent;
    if (d && (d.severity === "warning" || d.severity === "error") && d.urn?.includes("command:")) {
      diagnostics.push(`${d.urn.split("::").pop()}: ${normalise(d.message.trim(), host, stackName)}`);
    }
  };
  let ok = true;
  let changes: Record<string, number> = {};
  let outputs: Record<string, unknown> = {};
  try {
    const up = await stack.up({ onEvent });
    changes = up.summary.resourceChanges ?? {};
    outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
  } catch {
    ok = false;
  }
  const files = await sshExec(host, `cd ${WORK} 2>/dev/null && find . -type f -printf '%P %s %m ' -exec sh -c 'sha256sum < "$1" | cut -c1-16' _ {} \\; | sort`);
  return { ok, changes, diff, diagnostics: diagnostics.sort(), outputs, files: files.stdout };
}

(official ? describe : describe.skip)("the stand-in command plugin does what the official one does", () => {
  const hosts: Partial<Record<PluginChoice, TestHost>> = {};
  const stacks: Partial<Record<PluginChoice, Stack>> = {};
  const names: Partial<Record<PluginChoice, string>> = {};
  const locals: string[] = [];
  let phase: Phase = "first";

  beforeAll(async () => {
    const started = await startHosts("vm", 2, { prefix: "conformance" });
    for (const [i, plugin] of PLUGINS.entries()) {
      const host = started[i];
      hosts[plugin] = host;
      const local = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-conformance-"));
      locals.push(local);
      fs.mkdirSync(path.join(local, "site", "static"), { recursive: true });
      fs.writeFileSync(path.join(local, "site", "index.html"), "<h1>hi</h1>\n");
      fs.writeFileSync(path.join(local, "site", "static", "app.js"), "console.log(1)\n", { mode: 0o755 });
      names[plugin] = uniqueStackName(`conformance-${plugin}`);
      stacks[plugin] = await inlineStack(
        { projectName: "flaskstack-conformance", stackName: names[plugin]!, program: program(host, local, () => phase) },
        {},
        plugin,
      );
    }
  }, 20 * 60_000);

  afterAll(async () => {
    for (const plugin of PLUGINS) {
      await stacks[plugin]?.destroy().catch(() => undefined);
      await stacks[plugin]?.workspace.removeStack(names[plugin]!).catch(() => undefined);
    }
    locals.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    await removeHosts(Object.values(hosts).filter((h): h is TestHost => h !== undefined));
  }, STEP);

  async function both(p: Phase): Promise<[Outcome, Outcome]> {
    phase = p;
    const out: Outcome[] = [];
    for (const plugin of PLUGINS) out.push(await apply(stacks[plugin]!, hosts[plugin]!, names[plugin]!));
    return [out[0], out[1]];
  }

  it(
    "creates the same: outputs, stdin, copies and their modes",
    async () => {
      const [officialRun, standIn] = await both("first");
      expect(officialRun.ok).toBe(true);
      expect(officialRun.outputs.probe).toBe("created");
      expect(officialRun.outputs.probeErr).toBe("to-stderr");
      expect(officialRun.files).toMatch(/^dir\/site\/static\/app\.js 15 644 /m); // no modes carried over
      expect(officialRun.files).toMatch(/^in\/deep\/file\.txt 12 644 /m);
      expect(standIn).toEqual(officialRun);
    },
    STEP,
  );

  it(
    "changes the same: update, replace (create, then the old delete), re-copy; the refused previous output only warns",
    async () => {
      const [officialRun, standIn] = await both("changed");
      expect(officialRun.ok).toBe(true);
      expect(officialRun.diff.replaced).toContain("op:replace");
      expect(officialRun.diff.probe).toContain("op:update");
      expect(officialRun.diff.file).toContain("op:update");
      expect(officialRun.diagnostics.join("\n")).toContain("previous-output: Unable to set 'PULUMI_COMMAND_STDOUT'");
      expect(officialRun.files).toMatch(/^prev\.seen 11 644 /m); // "not offered"
      expect(officialRun.files).toMatch(/^replaced\.log 28 644 /m); // created a, created b, deleted
      expect(standIn).toEqual(officialRun);
    },
    STEP,
  );

  it(
    "fails the same on an environment variable stock sshd refuses, before the command runs",
    async () => {
      const [officialRun, standIn] = await both("refused-env");
      expect(officialRun.ok).toBe(false);
      expect(officialRun.diagnostics.join("\n")).toContain('could not set environment variable "FLASKSTACK_TOKEN": ssh: setenv failed');
      expect(officialRun.diagnostics.join("\n")).toContain("with-env: Unable to set 'FLASKSTACK_TOKEN'");
      expect(officialRun.files).not.toContain("with-env.ran");
      expect(standIn).toEqual(officialRun);
    },
    STEP,
  );

  it(
    "fails the same on a command that exits non-zero",
    async () => {
      const [officialRun, standIn] = await both("failing");
      expect(officialRun.ok).toBe(false);
      expect(officialRun.diagnostics.join("\n")).toContain('Process exited with status 3: running "echo partial; echo broken >&2; exit 3"');
      expect(standIn).toEqual(officialRun);
    },
    STEP,
  );

  it(
    "destroys the same: delete commands run, copies stay on the host",
    async () => {
      const out: string[] = [];
      for (const plugin of PLUGINS) {
        await stacks[plugin]!.destroy();
        out.push((await sshExec(hosts[plugin]!, `cd ${WORK} && find . -type f | sort && cat replaced.log`)).stdout);
      }
      expect(out[0]).toContain("./in/deep/file.txt");
      expect(out[0]).not.toContain("probe.stdin");
      expect(out[1]).toEqual(out[0]);
    },
    STEP,
  );
});

(official ? describe : describe.skip)("the root stack on the stand-in and on the official plugin", () => {
  const hosts: TestHost[] = [];
  const stacks: Stack[] = [];
  const names = PLUGINS.map((p) => uniqueStackName(`conformance-root-${p}`));

  beforeAll(async () => {
    hosts.push(...(await startHosts("vm", 2, { prefix: "conformance-root" })));
    for (const [i, plugin] of PLUGINS.entries()) {
      stacks.push(await projectStack(names[i], { ...hostConfig(hosts[i]), processes: { value: "2" } }, undefined, plugin));
    }
  }, 20 * 60_000);

  afterAll(async () => {
    for (const [i] of PLUGINS.entries()) await tearDown({ stack: stacks[i], stackName: names[i], hosts: [hosts[i]] });
  }, STEP);

  /** The managed files and the release tree, with content hashes. */
  async function hostFiles(h: TestHost): Promise<string> {
    const r = await sshExec(
      h,
      "sudo -n find /etc/nginx/sites-enabled/ /etc/nginx/sites-available/sample /etc/supervisor/conf.d /etc/sample /srv/sample/releases -type f " +
        "-printf '%p %m %u ' -exec sh -c 'sha256sum < \"$1\" | cut -c1-16' _ {} \\; | sort; sudo -n readlink /srv/sample/current /srv/sample/venv",
    );
    return r.stdout;
  }

  it(
    "deploys the same files and serves the same page; a change touches the same resources and keeps the master",
    async () => {
      const results: { files: string; page: string; changed: string[]; sameMaster: boolean }[] = [];
      for (const [i] of PLUGINS.entries()) {
        const up = await stacks[i].up();
        expect(up.summary.result).toBe("succeeded");
        const page = await getUntil(`http://127.0.0.1:${hosts[i].httpPort}/`, (a) => a.status === 200);
        const master = (await sshExec(hosts[i], "sudo -n supervisorctl pid sample")).stdout.trim();
        await stacks[i].setConfig("processes", { value: "3" });
        const changed: string[] = [];
        await stacks[i].up({
          onEvent: (e) => {
            const m = e.resOutputsEvent?.metadata;
            if (m && m.op !== "same") changed.push(`${m.urn.split("::").pop()}:${m.op}`);
          },
        });
        expect((await get(`http://127.0.0.1:${hosts[i].httpPort}/healthz`)).status).toBe(200);
        const after = (await sshExec(hosts[i], "sudo -n supervisorctl pid sample")).stdout.trim();
        results.push({ files: await hostFiles(hosts[i]), page: page.body.replace(/\d+/g, "N"), changed: changed.sort(), sameMaster: after === master });
      }
      expect(results[0].changed).toEqual(["site-probe:update", "uwsgi-config:update", "uwsgi-reload:update"]);
      expect(results[0].sameMaster).toBe(true);
      expect(results[0].files).toContain("/etc/sample/uwsgi.ini 640 root");
      expect(results[1]).toEqual(results[0]);
    },
    20 * 60_000,
  );
});
