/**
 * The activation script, run for real by /bin/sh in a temp base directory: the links switch, and
 * every release and venv but the new ones and the ones they replaced is removed.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { activateScript, PREVIOUS_FILE } from "../../../components/remote/release";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function baseDir(releases: string[], venvs: string[]): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-activate-"));
  dirs.push(base);
  for (const r of releases) fs.mkdirSync(path.join(base, "releases", r), { recursive: true });
  for (const v of venvs) fs.mkdirSync(path.join(base, "venvs", v), { recursive: true });
  return base;
}

/** Unpacks (makes) the release and venv if they are not there yet, as `up` does before it activates. */
function activate(base: string, releaseId: string, venvId: string) {
  fs.mkdirSync(path.join(base, "releases", releaseId), { recursive: true });
  fs.mkdirSync(path.join(base, "venvs", venvId), { recursive: true });
  const r = spawnSync("/bin/sh", ["-c", activateScript({ baseDir: base, releaseId, venvId })], { encoding: "utf8" });
  return {
    status: r.status,
    stderr: r.stderr,
    current: fs.readlinkSync(path.join(base, "current")),
    venv: fs.readlinkSync(path.join(base, "venv")),
    releases: fs.readdirSync(path.join(base, "releases")).sort(),
    venvs: fs.readdirSync(path.join(base, "venvs")).sort(),
    previous: fs.existsSync(path.join(base, PREVIOUS_FILE)) ? fs.readFileSync(path.join(base, PREVIOUS_FILE), "utf8").trim() : null,
  };
}

describe("activateScript", () => {
  it("GIVEN a first release WHEN activated THEN current and venv point at it and nothing else is touched", () => {
    const base = baseDir(["r1"], ["v1"]);
    expect(activate(base, "r1", "v1")).toEqual({
      status: 0,
      stderr: "",
      current: "releases/r1",
      venv: "venvs/v1",
      releases: ["r1"],
      venvs: ["v1"],
      previous: null,
    });
    expect(fs.readdirSync(base).sort()).toEqual(["current", "releases", "venv", "venvs"]);
  });

  it("GIVEN three releases and venvs WHEN the third is activated THEN it and the one it replaced stay, the oldest goes", () => {
    const base = baseDir([], []);
    activate(base, "r1", "v1");
    activate(base, "r2", "v2");
    expect(activate(base, "r3", "v3")).toEqual({
      status: 0,
      stderr: "",
      current: "releases/r3",
      venv: "venvs/v3",
      releases: ["r2", "r3"],
      venvs: ["v2", "v3"],
      previous: "releases/r2 venvs/v2",
    });
  });

  it("GIVEN new code on the same venv WHEN activated THEN the venv stays and the replaced release is kept", () => {
    const base = baseDir([], []);
    activate(base, "r1", "v1");
    expect(activate(base, "r2", "v1")).toMatchObject({ status: 0, releases: ["r1", "r2"], venvs: ["v1"] });
  });

  it("GIVEN the same release and venv again WHEN activated THEN it is a no-op that keeps both", () => {
    const base = baseDir(["r1"], ["v1"]);
    activate(base, "r1", "v1");
    expect(activate(base, "r1", "v1")).toMatchObject({ status: 0, current: "releases/r1", releases: ["r1"], venvs: ["v1"], previous: null });
  });

  it("GIVEN a second release WHEN it is activated twice THEN the record still names the one it replaced, which stays", () => {
    const base = baseDir([], []);
    activate(base, "r1", "v1");
    activate(base, "r2", "v1");
    expect(activate(base, "r2", "v1")).toMatchObject({ status: 0, current: "releases/r2", releases: ["r1", "r2"], previous: "releases/r1 venvs/v1" });
  });

  it("GIVEN a release that never went live, an unpack in progress (.tmp) and odd names WHEN activated THEN only the .tmp is left of them", () => {
    const base = baseDir([], []);
    activate(base, "r1", "v1");
    for (const d of ["failed-entry-check", "r3.tmp", "odd name", "-rf"]) fs.mkdirSync(path.join(base, "releases", d));
    expect(activate(base, "r2", "v1")).toMatchObject({ status: 0, releases: ["r1", "r2", "r3.tmp"] });
  });

  it("GIVEN a base dir without releases WHEN activated THEN it fails before switching anything", () => {
    const missing = path.join(os.tmpdir(), "flaskstack-activate-missing-dir");
    const r = spawnSync("/bin/sh", ["-c", activateScript({ baseDir: missing, releaseId: "r1", venvId: "v1" })], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(fs.existsSync(missing)).toBe(false);
  });
});
