/**
 * scripts/build.js, the build the root program runs before Pulumi loads it, run for real (tsc) on a
 * small project: it compiles when a source's content changed and not otherwise, and a type error fails
 * with tsc's message and is tried again on the next run.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const BUILD = path.join(ROOT, "scripts", "build.js");
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskstack-build-"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.mkdirSync(path.join(dir, "components"));
  fs.writeFileSync(
    path.join(dir, "tsconfig.build.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "commonjs", strict: true, types: [], outDir: "bin", rootDir: "." },
      include: ["index.ts", "components/**/*.ts"],
    }),
  );
  fs.writeFileSync(path.join(dir, "index.ts"), 'import { greeting } from "./components/greeting";\nconsole.log(greeting);\n');
  write("greeting.ts", 'export const greeting: string = "one";\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(file: string, text: string): void {
  fs.writeFileSync(path.join(dir, "components", file), text);
}

/** One run of the build, as the program's launcher makes it, in a process of its own. */
function build(): { built: boolean; error?: string } {
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      "try { console.log(JSON.stringify(require(process.argv[1]).ensureBuilt(process.argv[2]))) } catch (e) { console.log(JSON.stringify({ error: e.message })) }",
      BUILD,
      dir,
    ],
    { encoding: "utf8" },
  );
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout);
}

function program(): string {
  return spawnSync(process.execPath, [path.join(dir, "bin", "index.js")], { encoding: "utf8" }).stdout.trim();
}

describe("the program's build", () => {
  it("compiles the first time, and not again while no source changes (a touched file is no change)", () => {
    expect(build()).toMatchObject({ built: true });
    expect(program()).toBe("one");
    expect(build()).toEqual({ built: false });
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, "index.ts"), later, later);
    expect(build()).toEqual({ built: false });
  });

  it("compiles again when a source's content changes, or a source is added", () => {
    write("greeting.ts", 'export const greeting: string = "two";\n');
    expect(build()).toMatchObject({ built: true });
    expect(program()).toBe("two");
    write("unused.ts", "export const unused = 1;\n");
    expect(build()).toMatchObject({ built: true });
    expect(build()).toEqual({ built: false });
  });

  it("fails with tsc's message on a type error, keeps failing until it is fixed, then compiles", () => {
    write("greeting.ts", "export const greeting: string = 3;\n");
    const failed = build();
    expect(failed.error).toMatch(
      /do not compile \(tsc -p tsconfig\.build\.json\):\ncomponents\/greeting\.ts\(1,14\): error TS2322: Type 'number' is not assignable to type 'string'/,
    );
    expect(build().error).toBe(failed.error);
    write("greeting.ts", 'export const greeting: string = "three";\n');
    expect(build()).toMatchObject({ built: true });
    expect(program()).toBe("three");
    expect(fs.existsSync(path.join(dir, "bin", ".flaskstack-build.lock"))).toBe(false);
  });
});
