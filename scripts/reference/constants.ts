/** Where the reference lives, how it is marked and regenerated, and the hand-written examples it shows. */
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const START_MARKER = "<!-- reference:start -->";
export const END_MARKER = "<!-- reference:end -->";
export const WRITE_COMMAND = "npx ts-node scripts/gen-reference.ts --write";
/** The file the reference lives in, relative to the project root. */
export const REFERENCE_FILE = path.join("docs", "reference.md");
/** The module name examples import from; the test points it at components/index.ts. */
export const EXAMPLE_MODULE = "flaskstack";

/**
 * One complete example per component, in examples/reference/<Component>.ts: the same cloud VM
 * (203.0.113.10), the same sample app (examples/app, entry `sample:create_app()`), so the examples read
 * as one deployment seen from each component. Each one is a whole Pulumi program and must type-check on
 * its own (test/unit/reference.test.ts).
 */
export const EXAMPLES_DIR = path.join(ROOT, "examples", "reference");
export const EXAMPLES: Readonly<Record<string, string>> = Object.fromEntries(
  fs
    .readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => [path.basename(f, ".ts"), fs.readFileSync(path.join(EXAMPLES_DIR, f), "utf8")]),
);
