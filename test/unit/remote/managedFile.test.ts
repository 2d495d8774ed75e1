/**
 * The managed-file scripts run for real with /bin/sh in a temp directory (the claims directory moved
 * into it): atomic install, verification with rollback, and deletes that leave a path alone once
 * another resource owns it (a rename or move writes the same path before the old delete runs).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { deleteScript, installScript, ManagedFileSpec } from "../../../components/remote/managedFile";
import { OWNERS_DIR } from "../../../components/remote/ownership";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-file-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(script: string, stdin = "") {
  const local = script.split(OWNERS_DIR).join(path.join(dir, "owners"));
  return spawnSync("sh", ["-c", local], { input: stdin, encoding: "utf8" });
}

function spec(extra: Partial<ManagedFileSpec> = {}): ManagedFileSpec {
  return { path: path.join(dir, "etc", "site.conf"), content: "", owner: "root", group: "root", mode: "0640", ...extra };
}

describe("managed file", () => {
  it("writes the content from stdin with owner and mode", () => {
    const r = run(installScript(spec(), "urn:a#site"), "server { }\n");
    expect(r.status).toBe(0);
    expect(fs.readFileSync(spec().path, "utf8")).toBe("server { }\n");
    expect(fs.statSync(spec().path).mode & 0o777).toBe(0o640);
    // Each write prints a fresh nonce (what applies the file runs after every write).
    const again = run(installScript(spec(), "urn:a#site"), "server { }\n");
    expect(r.stdout).toMatch(/^written [0-9a-f]{16}\n$/);
    expect(again.stdout).toMatch(/^written [0-9a-f]{16}\n$/);
    expect(again.stdout).not.toBe(r.stdout);
  });

  it("puts the previous file back when verification fails, and claims nothing", () => {
    const s = spec({ verify: "grep -q good " + spec().path });
    expect(run(installScript(s, "urn:a#site"), "good\n").status).toBe(0);
    const bad = run(installScript(s, "urn:b#site"), "bad\n");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("failed verification; the previous version stays live");
    expect(fs.readFileSync(s.path, "utf8")).toBe("good\n");
    // The claim is still the first writer's: its delete removes the file.
    expect(run(deleteScript(s, "urn:a#site")).status).toBe(0);
    expect(fs.existsSync(s.path)).toBe(false);
  });

  it("a renamed resource's old delete leaves the file the new one wrote", () => {
    const s = spec({ afterDelete: `touch ${path.join(dir, "reloaded")}` });
    run(installScript(s, "urn:stack::FlaskApp::app#app-env"), "A=1\n");
    run(installScript(s, "urn:stack::FlaskApp::web#web-env"), "A=1\n");
    const old = run(deleteScript(s, "urn:stack::FlaskApp::app#app-env"));
    expect(old.status).toBe(0);
    expect(old.stderr).toContain("now belongs to urn:stack::FlaskApp::web#web-env: left in place");
    expect(fs.readFileSync(s.path, "utf8")).toBe("A=1\n");
    expect(fs.existsSync(path.join(dir, "reloaded"))).toBe(false);
    // The owner's delete removes it and runs its after-delete step.
    expect(run(deleteScript(s, "urn:stack::FlaskApp::web#web-env")).status).toBe(0);
    expect(fs.existsSync(s.path)).toBe(false);
    expect(fs.existsSync(path.join(dir, "reloaded"))).toBe(true);
  });

  it("removes a file written before claims existed", () => {
    fs.mkdirSync(path.dirname(spec().path), { recursive: true });
    fs.writeFileSync(spec().path, "old");
    expect(run(deleteScript(spec(), "urn:a#site")).status).toBe(0);
    expect(fs.existsSync(spec().path)).toBe(false);
  });
});
