/**
 * Generates the component reference (the block of docs/reference.md between its markers) from the
 * components' source, so the documented arguments and defaults cannot drift from the code:
 *
 *   npx ts-node scripts/gen-reference.ts --write      rewrite the block between the reference markers
 *   npx ts-node scripts/gen-reference.ts --check      exit 1 when the block is out of date
 *   npx ts-node scripts/gen-reference.ts --problems   list gaps in the components' JSDoc
 *
 * Everything comes from the TypeScript compiler's view of components/index.ts: the exported
 * ComponentResource classes, their type tokens (the `super(...)` call), their `args` interfaces with
 * every inherited property (`extends UwsgiArgs`, `extends Omit<…>`), `@default` tags, public fields (those
 * of their base classes included) and methods. Only the examples are written by hand (one per component, examples/reference/); test/unit/reference.test.ts
 * type-checks them against the real components.
 *
 * The generator is in scripts/reference/: constants.ts (paths, markers, examples), project.ts (the
 * compiler's view), text.ts (Markdown helpers), types.ts (type printing), sections.ts (the sections),
 * generate.ts (the block), block.ts (the reference file). This module is its command line and re-exports
 * what the tests use.
 */
import * as fs from "fs";
import * as path from "path";
import { END_MARKER, REFERENCE_FILE, ROOT, START_MARKER, WRITE_COMMAND } from "./reference/constants";
import { firstDifference, readmeBlock, withBlock } from "./reference/block";
import { generateReference } from "./reference/generate";

export { END_MARKER, EXAMPLE_MODULE, EXAMPLES, EXAMPLES_DIR, REFERENCE_FILE, ROOT, START_MARKER, WRITE_COMMAND } from "./reference/constants";
export { isComponentResource, projectCompilerOptions } from "./reference/project";
export type { Project } from "./reference/project";
export { outputFields } from "./reference/sections";
export type { OutputField } from "./reference/sections";
export { formatDefault } from "./reference/text";
export { generateReference } from "./reference/generate";
export type { Reference } from "./reference/generate";
export { examplesIn, firstDifference, readmeBlock, withBlock } from "./reference/block";
export type { Example } from "./reference/block";

function main(argv: readonly string[]): number {
  const mode = argv[0];
  if (argv.length !== 1 || !["--write", "--check", "--problems"].includes(mode)) {
    process.stderr.write("usage: npx ts-node scripts/gen-reference.ts --write | --check | --problems\n");
    return 2;
  }
  const readmePath = path.join(ROOT, REFERENCE_FILE);
  const readme = fs.existsSync(readmePath) ? fs.readFileSync(readmePath, "utf8") : "";
  const reference = generateReference();
  if (mode === "--problems") {
    process.stdout.write(reference.problems.map((p) => `${p}\n`).join(""));
    return 0;
  }
  if (mode === "--check") {
    const block = readmeBlock(readme);
    if (block === undefined) {
      process.stderr.write(`${REFERENCE_FILE} has no component reference block (${START_MARKER} … ${END_MARKER}): run \`${WRITE_COMMAND}\`\n`);
      return 1;
    }
    if (block !== reference.markdown) {
      process.stderr.write(
        `${REFERENCE_FILE}'s component reference is out of date: run \`${WRITE_COMMAND}\`\nfirst difference at ${firstDifference(block, reference.markdown)}\n`,
      );
      return 1;
    }
    process.stdout.write(`${REFERENCE_FILE}'s component reference is up to date\n`);
    return 0;
  }
  const updated = withBlock(readme, reference);
  if (updated !== readme) fs.writeFileSync(readmePath, updated);
  process.stdout.write(
    `${REFERENCE_FILE}: component reference ${updated === readme ? "already up to date" : "written"} (${reference.components.length} components)\n`,
  );
  if (reference.problems.length > 0) {
    process.stderr.write(`${reference.problems.length} gaps in the components' JSDoc (\`--problems\` lists them)\n`);
  }
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
