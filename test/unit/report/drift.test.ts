/**
 * Drift's pieces: the targets read from a stack export, the read-only script run for real with
 * /bin/sh against a temp directory and a stub `supervisorctl`, and the report with its fix.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { reviewTagValue, ReviewTag } from "../../../components/config/tokens";
import { checkDrift, compareAnswers, driftReport, driftScript, driftTargets } from "../../../components/report/drift";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (v: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });

function resource(name: string, tag: ReviewTag, stdin?: unknown, sudo = true) {
  return {
    urn: `urn:pulumi:dev::p::flaskstack:index:FlaskApp$command:remote:Command::${name}`,
    type: "command:remote:Command",
    inputs: {
      connection: secret({ host: "127.0.0.1", port: 2222, user: "deploy", privateKey: "KEY" }),
      create: `# flaskstack: ${reviewTagValue(tag)}\n# host: vm\n${sudo ? "sudo -n " : ""}sh -c 'true'`,
      ...(stdin === undefined ? {} : { stdin }),
    },
  };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-drift-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

test("GIVEN a stack export WHEN read THEN files (secret ones too), releases and programs are checked per host", () => {
  const exported = {
    deployment: {
      resources: [
        resource("ini", { kind: "file", path: "/etc/shop/uwsgi.ini" }, "processes = 2\n"),
        resource("env", { kind: "file", path: "/etc/shop/env" }, secret("API_TOKEN='x'\n")),
        resource("site", { kind: "file", path: "/etc/nginx/sites-available/shop", afterDelete: true }, "server {}\n"),
        resource("activate", { kind: "activate", app: "shop", baseDir: "/srv/shop", release: "r1", venv: "v1" }),
        resource("reload", {
          kind: "server",
          profile: { program: "shop", server: "uwsgi", reload: "graceful reload", codeReload: "chain reload", envReload: "graceful reload", startSecs: 3 },
        }),
        resource("check", { kind: "step", what: "entry check" }),
        { urn: "urn:x", type: "docker:index/container:Container", inputs: {} },
      ],
    },
  };
  const [t, ...rest] = driftTargets(exported);
  expect(rest).toEqual([]);
  expect(t.connection).toEqual({ host: "127.0.0.1", port: 2222, user: "deploy", privateKey: "KEY", sudo: true });
  expect(t.checks.map((c) => (c.kind === "program" ? `program ${c.program}` : `${c.kind} ${c.path}`))).toEqual([
    "file /etc/shop/uwsgi.ini",
    "file /etc/shop/env",
    "file /etc/nginx/sites-available/shop",
    "link /srv/shop/current",
    "link /srv/shop/venv",
    "program shop",
  ]);
  expect(t.checks[1]).toMatchObject({ sha256: sha("API_TOKEN='x'\n") });
  expect(() => driftTargets({ deployment: { resources: [resource("env", { kind: "file", path: "/e" }, { [SIG]: "x", ciphertext: "abc" })] } })).toThrow(
    /--show-secrets/,
  );
});

test("GIVEN a host WHEN the script runs THEN it answers per check and the comparison finds each drift", () => {
  fs.writeFileSync(path.join(dir, "same.conf"), "a\n");
  fs.writeFileSync(path.join(dir, "edited.conf"), "b\n# hand edit\n");
  fs.mkdirSync(path.join(dir, "releases", "r2"), { recursive: true });
  fs.symlinkSync("releases/r2", path.join(dir, "current"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, "supervisorctl"),
    '#!/bin/sh\ncase "$2" in shop) echo "shop                             RUNNING   pid 12, uptime 0:01:00";; *) echo "$2   FATAL     Exited too quickly"; exit 3;; esac\n',
    { mode: 0o755 },
  );
  const checks = [
    { kind: "file" as const, path: path.join(dir, "same.conf"), sha256: sha("a\n"), urn: "u1", replaceDisrupts: false },
    { kind: "file" as const, path: path.join(dir, "edited.conf"), sha256: sha("b\n"), urn: "u2", replaceDisrupts: true },
    { kind: "file" as const, path: path.join(dir, "gone.conf"), sha256: sha("c\n"), urn: "u3", replaceDisrupts: false },
    { kind: "link" as const, path: path.join(dir, "current"), target: "releases/r1", urn: "u4" },
    { kind: "program" as const, program: "shop", urn: "u5" },
    { kind: "program" as const, program: "blog", urn: "u6" },
  ];
  const r = spawnSync("sh", ["-s"], { input: driftScript(checks), encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  expect(r.status).toBe(0);
  const results = compareAnswers(checks, r.stdout);
  expect(results.map((x) => [x.ok, x.found])).toEqual([
    [true, "as applied"],
    [false, "its content differs from what the stack applied"],
    [false, "the file is missing"],
    [false, "points to releases/r2, the stack applied releases/r1"],
    [true, "running"],
    [false, "not running: FATAL Exited too quickly"],
  ]);
  const report = driftReport([{ host: "vm", results }], "text");
  expect(report.drifted).toBe(true);
  expect(report.text).toContain("pulumi up --replace u2 --replace u3 --replace u4 --replace u6");
  expect(report.text).toContain(`Replacing ${path.join(dir, "edited.conf")} first removes the file`);
  // A quote in a path stays one word.
  expect(driftScript([{ kind: "file", path: "/etc/it's here", sha256: "x", urn: "u", replaceDisrupts: false }])).toContain("'/etc/it'\\''s here'");
});

test("GIVEN every check as applied WHEN reported THEN no drift and exit code 0; an unreachable host is drift", () => {
  const clean = driftReport([{ host: "vm", results: [{ check: { kind: "program", program: "shop", urn: "u" }, ok: true, found: "running" }] }], "markdown");
  expect(clean).toEqual({ drifted: false, text: expect.stringContaining("No drift: every host is as the stack last applied it.") });
  const down = driftReport([{ host: "vm", results: [], error: "ssh exited 255: Connection refused" }], "text");
  expect(down.drifted).toBe(true);
  expect(down.text).toContain("== vm: not checked\n  ssh exited 255: Connection refused");
});

describe("the ssh call", () => {
  const fakeSsh = (bin: string) =>
    fs.writeFileSync(
      path.join(bin, "ssh"),
      `#!/bin/sh\nLOG=${JSON.stringify(dir)}\nprintf '%s\\n' "$@" > "$LOG/args"\nfor a in "$@"; do case "$a" in UserKnownHostsFile=/dev/null) ;; UserKnownHostsFile=*) cp "\${a#UserKnownHostsFile=}" "$LOG/known_hosts";; esac; done\ncat > "$LOG/script"\necho "0 $(printf 'a\\n' | sha256sum | cut -d' ' -f1)"\n`,
      { mode: 0o755 },
    );

  test.each([
    ["no hostKey: not checked, as the command plugin", undefined, ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"], undefined],
    ["a hostKey: checked against it", "ssh-ed25519 AAAAC3Nza", ["StrictHostKeyChecking=yes"], "[127.0.0.1]:2222 ssh-ed25519 AAAAC3Nza\n"],
  ])("GIVEN %s WHEN drift logs in THEN ssh gets the key, batch mode and the script on stdin", async (_label, hostKey, expected, knownHosts) => {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fakeSsh(bin);
    // The client is given by path: nothing here may dial out, even by mistake.
    {
      const check = { kind: "file" as const, path: "/etc/a", sha256: sha("a\n"), urn: "u", replaceDisrupts: false };
      const [result] = await checkDrift(
        [{ connection: { host: "127.0.0.1", port: 2222, user: "deploy", privateKey: "KEY", sudo: true, ...(hostKey ? { hostKey } : {}) }, checks: [check] }],
        { ssh: path.join(bin, "ssh") },
      );
      expect(result).toEqual({ host: "deploy@127.0.0.1:2222", results: [{ check, ok: true, found: "as applied" }] });
      const args = fs.readFileSync(path.join(dir, "args"), "utf8").trim().split("\n");
      expect(args).toEqual(expect.arrayContaining(["-p", "2222", "BatchMode=yes", "--", "deploy@127.0.0.1", "sudo -n sh -s", ...expected]));
      expect(fs.readFileSync(path.join(dir, "script"), "utf8")).toBe(driftScript([check]));
      expect(fs.existsSync(path.join(dir, "known_hosts")) ? fs.readFileSync(path.join(dir, "known_hosts"), "utf8") : undefined).toBe(knownHosts);
    }
  });
});
