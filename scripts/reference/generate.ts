/** The reference block as a whole: every component, then the helpers, then the argument types they name. */
import * as ts from "typescript";
import { EXAMPLE_MODULE, EXAMPLES, ROOT, WRITE_COMMAND } from "./constants";
import { isComponentResource, loadProject, orderedExports } from "./project";
import { argumentTypeDoc, ComponentDoc, componentDoc, Generator, helperDoc } from "./sections";
import { anchor } from "./text";
import { propertyTypeNode, TypePrinter } from "./types";

/** Pure helpers documented after the components (exported functions of components/index.ts). */
const HELPERS = ["packagesFor"];

export interface Reference {
  /** The text between the markers (without them), ending in a newline. */
  readonly markdown: string;
  readonly components: readonly ComponentDoc[];
  /** Gaps in the components' own documentation (for the maintainers; they do not fail anything). */
  readonly problems: readonly string[];
}

/** The reference block, generated from components/index.ts and what it exports. Deterministic. */
export function generateReference(root: string = ROOT): Reference {
  const project = loadProject(root);
  const { checker } = project;
  const exported = orderedExports(project);
  const classes = exported.flatMap((s) => {
    const decl = s.declarations?.find(ts.isClassDeclaration);
    return decl !== undefined && isComponentResource(checker, checker.getDeclaredTypeOfSymbol(s)) ? [{ symbol: s, decl }] : [];
  });
  const helpers = HELPERS.map((h) => {
    const s = exported.find((e) => e.name === h);
    if (s === undefined) throw new Error(`components/index.ts does not export ${h}`);
    return s;
  });
  const extra = Object.keys(EXAMPLES).filter((n) => !classes.some((c) => c.symbol.name === n));
  if (extra.length > 0) throw new Error(`examples for components that components/index.ts does not export: ${extra.join(", ")}`);

  const types = new TypePrinter(
    project,
    classes.map((c) => c.symbol.name),
  );
  const gen: Generator = { project, types, problems: [], classes };
  // First pass: every object type the arguments name, so the tables can link to them.
  for (const { decl } of classes) {
    const ctor = decl.members.find(ts.isConstructorDeclaration);
    const argsParam = ctor?.parameters[1];
    if (argsParam !== undefined) for (const p of checker.getPropertiesOfType(checker.getTypeAtLocation(argsParam))) types.collect(propertyTypeNode(p));
  }
  for (const h of helpers) {
    const decl = h.declarations?.find(ts.isFunctionDeclaration);
    for (const p of decl?.parameters ?? []) for (const prop of checker.getPropertiesOfType(checker.getTypeAtLocation(p))) types.collect(propertyTypeNode(prop));
  }

  const components = classes.map(({ symbol, decl }) => componentDoc(gen, symbol, decl));
  const helperSections = helpers.map((h) => helperDoc(gen, h));
  const typeSections = [...types.expanded].map(([name, decl]) => argumentTypeDoc(gen, name, decl));
  const toc = [
    ...components.map((c) => `[${c.name}](#${anchor(c.name)})`),
    ...helperSections.map((h) => `[${h.heading}](#${anchor(h.heading)})`),
    "[argument types](#argument-types)",
  ].join(" · ");
  const markdown = [
    `<!-- Generated from the JSDoc of components/ by \`${WRITE_COMMAND}\`: edit the components, not this block. -->`,
    "",
    "Every argument of every component, with its default, as the source declares it (`@default` in the JSDoc of " +
      "the `Args` interfaces, inherited arguments included). A unit test fails when this block and the source " +
      `disagree; \`${WRITE_COMMAND}\` regenerates it. Each example is a complete Pulumi program, type-checked ` +
      `by that test (\`${EXAMPLE_MODULE}\` is this package's main module, \`components/index.ts\`).`,
    "",
    toc,
    "",
    ...components.map((c) => c.markdown),
    ...helperSections.map((h) => h.markdown),
    "### Argument types",
    "",
    "Object types the arguments above take, with their fields' defaults.",
    "",
    ...typeSections,
  ].join("\n");
  return { markdown: markdown.replace(/\n+$/, "\n"), components, problems: [...new Set(gen.problems)] };
}
