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
 * every inherited property (`extends UwsgiArgs`, `extends Omit<…>`), `@default` tags, public fields and
 * methods. Only the examples are written by hand (one per component, examples/reference/); test/unit/reference.test.ts
 * type-checks them against the real components.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export const ROOT = path.resolve(__dirname, "..");
export const START_MARKER = "<!-- reference:start -->";
export const END_MARKER = "<!-- reference:end -->";
export const WRITE_COMMAND = "npx ts-node scripts/gen-reference.ts --write";
/** The file the reference lives in, relative to the project root. */
export const REFERENCE_FILE = path.join("docs", "reference.md");
/** The module name examples import from; the test points it at components/index.ts. */
export const EXAMPLE_MODULE = "flaskstack";
/** Pure helpers documented after the components (exported functions of components/index.ts). */
const HELPERS = ["packagesFor"];

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

// ---------------------------------------------------------------------------------------------------
// The compiler's view of the components.

interface Project {
  readonly root: string;
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  readonly index: ts.SourceFile;
}

/** The project's compiler options (tsconfig.json), as `tsc -p .` sees them. */
export function projectCompilerOptions(root: string = ROOT): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(root, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (parsed === undefined) throw new Error(`cannot read ${path.join(root, "tsconfig.json")}`);
  return parsed.options;
}

function loadProject(root: string): Project {
  const indexPath = path.join(root, "components", "index.ts");
  const program = ts.createProgram([indexPath], { ...projectCompilerOptions(root), noEmit: true });
  const index = program.getSourceFile(indexPath);
  if (index === undefined) throw new Error(`cannot load ${indexPath}`);
  return { root, program, checker: program.getTypeChecker(), index };
}

function resolveAlias(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

function isProjectFile(project: Project, file: ts.SourceFile): boolean {
  const rel = path.relative(project.root, file.fileName);
  return !rel.startsWith("..") && !rel.split(path.sep).includes("node_modules");
}

function relPath(project: Project, node: ts.Node): string {
  return path.relative(project.root, node.getSourceFile().fileName).split(path.sep).join("/");
}

/** Exports of components/index.ts in the order of its export statements, then of their files. */
function orderedExports(project: Project): ts.Symbol[] {
  const { checker, index } = project;
  const moduleSymbol = checker.getSymbolAtLocation(index);
  if (moduleSymbol === undefined) throw new Error("components/index.ts is not a module");
  const fileOrder = new Map<string, number>();
  index.statements.forEach((s, i) => {
    if (ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined) {
      const target = checker.getSymbolAtLocation(s.moduleSpecifier);
      const file = target?.valueDeclaration?.getSourceFile().fileName;
      if (file !== undefined && !fileOrder.has(file)) fileOrder.set(file, i);
    }
  });
  const key = (s: ts.Symbol): [number, number] => {
    const d = s.declarations?.[0];
    return d === undefined ? [Infinity, 0] : [fileOrder.get(d.getSourceFile().fileName) ?? Infinity, d.getStart()];
  };
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((s) => resolveAlias(checker, s))
    .sort((a, b) => {
      const [fa, pa] = key(a);
      const [fb, pb] = key(b);
      return fa - fb || pa - pb || (a.name < b.name ? -1 : 1);
    });
}

function isComponentResource(checker: ts.TypeChecker, type: ts.Type): boolean {
  const bases = type.isClassOrInterface() ? checker.getBaseTypes(type) : [];
  return bases.some((base) => {
    const decl = base.symbol?.declarations?.[0];
    const fromPulumi = decl !== undefined && /[\\/]@pulumi[\\/]pulumi[\\/]/.test(decl.getSourceFile().fileName);
    return (base.symbol?.name === "ComponentResource" && fromPulumi) || isComponentResource(checker, base);
  });
}

// ---------------------------------------------------------------------------------------------------
// Text helpers.

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** A table cell: one line, pipes escaped (GitHub also needs them escaped inside code spans). */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, "\\|");
}

function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** GitHub's heading anchor. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** True when `text` has `ch` outside brackets and quotes (`"a" | "b"` yes, `Input<"a" | "b">` no). */
function hasTopLevel(text: string, ch: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (const c of text) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ("<([{".includes(c)) depth++;
    else if (">)]}".includes(c)) depth--;
    else if (c === ch && depth === 0) return true;
  }
  return false;
}

/** `@default` text: a leading literal (`22`, `"root"`, `[]`, `0o660`) goes in a code span, prose stays prose. */
export function formatDefault(text: string): string {
  const t = oneLine(text);
  if (t.startsWith("`")) return t;
  const literal = /^("(?:[^"\\]|\\.)*"|-?(?:0[xob][0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?)|true|false|null|\[[^\]]*\]|\{[^}]*\})(?=$|[:,;]| \(| [a-z])/.exec(t);
  return literal === null ? t : code(literal[1]) + t.slice(literal[1].length);
}

function docText(checker: ts.TypeChecker, symbol: ts.Symbol): string {
  return oneLine(ts.displayPartsToString(symbol.getDocumentationComment(checker)));
}

/** The first paragraph of the file's leading `/** … *\/` comment. */
function fileComment(file: ts.SourceFile): string {
  const range = (ts.getLeadingCommentRanges(file.text, 0) ?? []).find((r) => file.text.startsWith("/**", r.pos));
  if (range === undefined) return "";
  const lines = file.text
    .slice(range.pos + 3, range.end - 2)
    .split("\n")
    .map((l) => l.replace(/^\s*\*? ?/, ""));
  while (lines.length > 0 && lines[0].trim() === "") lines.shift();
  const blank = lines.findIndex((l) => l.trim() === "");
  return oneLine((blank < 0 ? lines : lines.slice(0, blank)).join(" "));
}

// ---------------------------------------------------------------------------------------------------
// Types: printed compactly, named object types listed under "Argument types".

interface Printed {
  readonly text: string;
  /** Linkable names referenced (expanded argument types, components). */
  readonly refs: readonly string[];
}

class TypePrinter {
  /** Object types (interfaces, unions of object shapes) declared in the project, by name. */
  readonly expanded = new Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>();
  /** Anchors of every linkable name. */
  readonly links = new Map<string, string>();

  constructor(
    private readonly project: Project,
    componentNames: readonly string[],
  ) {
    for (const name of componentNames) this.links.set(name, anchor(name));
  }

  private get checker(): ts.TypeChecker {
    return this.project.checker;
  }

  /** The project declaration a type reference names, if it is an interface or type alias. */
  private declarationOf(node: ts.TypeReferenceNode): ts.InterfaceDeclaration | ts.TypeAliasDeclaration | undefined {
    const symbol = this.checker.getSymbolAtLocation(node.typeName);
    if (symbol === undefined) return undefined;
    const decl = resolveAlias(this.checker, symbol).declarations?.[0];
    if (decl === undefined || !isProjectFile(this.project, decl.getSourceFile())) return undefined;
    return ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl) ? decl : undefined;
  }

  private isLiteral(type: ts.Type): boolean {
    if (type.isUnion()) return type.types.every((t) => this.isLiteral(t));
    return type.isLiteral() || (type.flags & ts.TypeFlags.BooleanLiteral) !== 0;
  }

  /** A union of literals, in source order where the source fixes one (`as const` tuples, object keys). */
  private literals(node: ts.TypeNode): string | undefined {
    const type = this.checker.getTypeFromTypeNode(node);
    if (!this.isLiteral(type)) return undefined;
    const unparen = (n: ts.TypeNode): ts.TypeNode => (ts.isParenthesizedTypeNode(n) ? unparen(n.type) : n);
    let members: readonly ts.Type[] = type.isUnion() ? type.types : [type];
    const inner = unparen(node);
    if (ts.isLiteralTypeNode(inner) || inner.kind === ts.SyntaxKind.BooleanKeyword) return inner.getText();
    if (ts.isUnionTypeNode(inner)) {
      return [...new Set(inner.types.map((m) => this.literals(m) ?? oneLine(m.getText())))].join(" | ");
    } else if (ts.isIndexedAccessTypeNode(inner) && ts.isTypeQueryNode(unparen(inner.objectType))) {
      const tuple = this.checker.getTypeFromTypeNode(unparen(inner.objectType));
      if (this.checker.isTupleType(tuple)) members = this.checker.getTypeArguments(tuple as ts.TypeReference);
    } else if (ts.isTypeOperatorNode(inner) && inner.operator === ts.SyntaxKind.KeyOfKeyword && ts.isTypeQueryNode(unparen(inner.type))) {
      const keys = this.checker.getPropertiesOfType(this.checker.getTypeFromTypeNode(unparen(inner.type))).map((p) => JSON.stringify(p.name));
      return keys.join(" | ");
    }
    return [...new Set(members.map((t) => this.checker.typeToString(t)))].join(" | ");
  }

  /** Whether a declaration is an object shape worth its own table (not a resource interface). */
  private isExpandable(decl: ts.InterfaceDeclaration | ts.TypeAliasDeclaration): boolean {
    const type = this.checker.getTypeAtLocation(decl.name);
    if (this.isLiteral(type)) return false;
    if (ts.isInterfaceDeclaration(decl)) {
      const bases = type.isClassOrInterface() ? this.checker.getBaseTypes(type) : [];
      return !bases.some((b) => b.symbol?.name === "Resource" || b.symbol?.name === "ComponentResource");
    }
    const shapes = (n: ts.TypeNode): boolean =>
      ts.isParenthesizedTypeNode(n)
        ? shapes(n.type)
        : ts.isUnionTypeNode(n)
          ? n.types.every(shapes)
          : ts.isTypeLiteralNode(n) || (ts.isTypeReferenceNode(n) && this.declarationOf(n) !== undefined);
    return shapes(decl.type);
  }

  /** Registers the object types a type node names (and the ones they name), for "Argument types". */
  collect(node: ts.TypeNode | undefined): void {
    if (node === undefined) return;
    const visit = (n: ts.Node): void => {
      if (ts.isTypeReferenceNode(n)) {
        const decl = this.declarationOf(n);
        if (decl !== undefined && !this.expanded.has(decl.name.text) && this.isExpandable(decl)) {
          this.expanded.set(decl.name.text, decl);
          this.links.set(decl.name.text, anchor(decl.name.text));
          if (ts.isInterfaceDeclaration(decl)) {
            for (const p of this.checker.getPropertiesOfType(this.checker.getTypeAtLocation(decl.name))) {
              this.collect(propertyTypeNode(p));
            }
          } else {
            visit(decl.type);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
  }

  print(node: ts.TypeNode): Printed {
    const refs: string[] = [];
    const text = (n: ts.TypeNode): string => {
      if (ts.isParenthesizedTypeNode(n)) return text(n.type);
      if (ts.isTypeOperatorNode(n) && n.operator === ts.SyntaxKind.ReadonlyKeyword) return text(n.type);
      if (ts.isArrayTypeNode(n)) {
        const element = text(n.elementType);
        return hasTopLevel(element, "|") || hasTopLevel(element, "&") ? `(${element})[]` : `${element}[]`;
      }
      if (ts.isUnionTypeNode(n)) {
        const members = n.types.map((m) => {
          const t = text(m);
          return hasTopLevel(t, "&") ? `(${t})` : t;
        });
        return [...new Set(members)].join(" | ");
      }
      if (ts.isIntersectionTypeNode(n)) {
        // `string & {}` (any string, yet literal members stay suggestions to the editor) reads as `string`.
        const members = n.types.filter((m) => !(ts.isTypeLiteralNode(m) && m.members.length === 0));
        return members.length === 0 ? "{}" : members.map(text).join(" & ");
      }
      if (ts.isTypeLiteralNode(n)) {
        const names = n.members.map((m) => `${m.name?.getText() ?? "?"}${m.questionToken ? "?" : ""}`);
        return `{ ${names.join(", ")} }`;
      }
      if (ts.isTypeReferenceNode(n)) {
        const name = n.typeName.getText();
        const args = n.typeArguments ?? [];
        if (name === "Readonly" && args.length === 1) return text(args[0]);
        const decl = this.declarationOf(n);
        if (decl !== undefined && ts.isTypeAliasDeclaration(decl)) {
          const literals = this.literals(decl.type);
          if (literals !== undefined) return literals;
        }
        const target = decl?.name.text ?? name;
        if (this.links.has(target)) refs.push(target);
        return args.length === 0 ? name : `${name}<${args.map(text).join(", ")}>`;
      }
      if (ts.isIndexedAccessTypeNode(n) || ts.isTypeOperatorNode(n)) return this.literals(n) ?? oneLine(n.getText());
      return oneLine(n.getText());
    };
    return { text: text(node), refs };
  }

  /** A type cell: a code span, linked to the first argument type or component it names. */
  cell(node: ts.TypeNode | undefined, fallback: string): string {
    if (node === undefined) return cell(code(fallback));
    const printed = this.print(node);
    const target = printed.refs[0];
    const span = cell(code(printed.text));
    return target === undefined ? span : `[${span}](#${this.links.get(target)})`;
  }

  /** For a union of object shapes: what tells them apart, for the argument's description. */
  variants(node: ts.TypeNode | undefined): string | undefined {
    if (node === undefined) return undefined;
    const strip = (n: ts.TypeNode): ts.TypeNode =>
      ts.isParenthesizedTypeNode(n) || (ts.isTypeOperatorNode(n) && n.operator === ts.SyntaxKind.ReadonlyKeyword)
        ? strip(n.type)
        : ts.isArrayTypeNode(n)
          ? strip(n.elementType)
          : n;
    const n = strip(node);
    const members = ts.isUnionTypeNode(n) ? n.types.map(strip) : [n];
    const named = members.filter(ts.isTypeReferenceNode).map((m) => this.declarationOf(m));
    const alias = named.find((d): d is ts.TypeAliasDeclaration => d !== undefined && ts.isTypeAliasDeclaration(d) && this.expanded.has(d.name.text));
    if (alias === undefined || !ts.isUnionTypeNode(alias.type)) return undefined;
    const kinds = alias.type.types.map((m) => (ts.isTypeLiteralNode(m) ? kindOf(m) : undefined));
    if (kinds.every((k): k is string => k !== undefined)) {
      return `Variants by \`kind\`: ${kinds.map((k) => code(k)).join("; ")}.`;
    }
    return `One of: ${alias.type.types.map((m) => code(this.print(m).text)).join(", ")}.`;
  }
}

function propertyTypeNode(symbol: ts.Symbol): ts.TypeNode | undefined {
  const decl = symbol.declarations?.[0];
  return decl !== undefined && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined;
}

/** The `kind` literal(s) of an object shape in a discriminated union. */
function kindOf(shape: ts.TypeLiteralNode): string | undefined {
  const kind = shape.members.find((m) => ts.isPropertySignature(m) && m.name.getText() === "kind") as ts.PropertySignature | undefined;
  return kind?.type?.getText();
}

// ---------------------------------------------------------------------------------------------------
// Documentation model and rendering.

interface Generator {
  readonly project: Project;
  readonly types: TypePrinter;
  readonly problems: string[];
  /** The component classes, in reference order. */
  readonly classes: readonly { readonly symbol: ts.Symbol; readonly decl: ts.ClassDeclaration }[];
}

/** The components that implement an interface (`implements WsgiService`). */
function implementers(gen: Generator, iface: ts.Symbol): string[] {
  const { checker } = gen.project;
  return gen.classes
    .filter(({ decl }) =>
      (decl.heritageClauses ?? []).some(
        (h) =>
          h.token === ts.SyntaxKind.ImplementsKeyword &&
          h.types.some((t) => {
            const s = checker.getSymbolAtLocation(t.expression);
            return s !== undefined && resolveAlias(checker, s) === iface;
          }),
      ),
    )
    .map(({ symbol }) => symbol.name);
}

/** A row of an argument (or argument-type field) table. */
function propertyRow(gen: Generator, owner: string, symbol: ts.Symbol): string {
  const { checker } = gen.project;
  const decl = symbol.declarations?.[0];
  const optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
  const defaults = decl === undefined ? [] : ts.getJSDocTags(decl).filter((t) => t.tagName.text === "default");
  const defaultText = defaults.length > 0 ? oneLine(ts.getTextOfJSDocComment(defaults[0].comment) ?? "") : undefined;
  let def: string;
  if (!optional) {
    def = "required";
    if (defaultText !== undefined) gen.problems.push(`${owner}.${symbol.name}: required, yet documents \`@default ${defaultText}\``);
  } else if (defaultText === undefined || defaultText === "") {
    def = "—";
    gen.problems.push(`${owner}.${symbol.name}: optional without \`@default\``);
  } else {
    def = formatDefault(defaultText);
  }
  const typeNode = propertyTypeNode(symbol);
  let description = docText(checker, symbol);
  if (description === "") gen.problems.push(`${owner}.${symbol.name}: no description`);
  const variants = gen.types.variants(typeNode);
  if (variants !== undefined) description = `${description} ${variants}`.trim();
  const type = gen.types.cell(typeNode, checker.typeToString(checker.getTypeOfSymbol(symbol)));
  return `| ${code(symbol.name)} | ${type} | ${cell(def)} | ${cell(description)} |`;
}

const ARGS_HEADER = ["| argument | type | default | description |", "|---|---|---|---|"];

function heritage(gen: Generator, decl: ts.InterfaceDeclaration): string {
  const { checker } = gen.project;
  const named = (expr: ts.Node): { name: string; file: string } | undefined => {
    const symbol = checker.getSymbolAtLocation(expr);
    const target = symbol === undefined ? undefined : resolveAlias(checker, symbol);
    const d = target?.declarations?.[0];
    return target === undefined || d === undefined ? undefined : { name: target.name, file: relPath(gen.project, d) };
  };
  const parts = (decl.heritageClauses ?? []).flatMap((h) =>
    h.types.map((t) => {
      const base = named(t.expression);
      const args = t.typeArguments ?? [];
      if (base !== undefined && (base.name === "Omit" || base.name === "Pick") && args.length === 2 && ts.isTypeReferenceNode(args[0])) {
        const inner = named(args[0].typeName);
        if (inner !== undefined) return `${code(`${base.name}<${inner.name}, ${oneLine(args[1].getText())}>`)} of [${inner.file}](${inner.file})`;
      }
      return base === undefined ? code(oneLine(t.getText())) : `${code(base.name)} of [${base.file}](${base.file})`;
    }),
  );
  return parts.length === 0 ? "" : `, extends ${parts.join(" and ")}`;
}

interface ComponentDoc {
  readonly name: string;
  readonly token: string;
  readonly markdown: string;
}

function typeToken(decl: ts.ClassDeclaration): string | undefined {
  const ctor = decl.members.find(ts.isConstructorDeclaration);
  for (const statement of ctor?.body?.statements ?? []) {
    if (
      ts.isExpressionStatement(statement) &&
      ts.isCallExpression(statement.expression) &&
      statement.expression.expression.kind === ts.SyntaxKind.SuperKeyword
    ) {
      const first = statement.expression.arguments[0];
      return first !== undefined && ts.isStringLiteralLike(first) ? first.text : undefined;
    }
  }
  return undefined;
}

function isPublic(member: ts.ClassElement): boolean {
  const flags = ts.getCombinedModifierFlags(member as ts.Declaration);
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)) === 0 && !ts.isPrivateIdentifier(member.name as ts.Node);
}

/** A class member's doc, else the doc of the same member in an interface the class implements. */
function memberDoc(gen: Generator, decl: ts.ClassDeclaration, member: ts.ClassElement): string {
  const { checker } = gen.project;
  const symbol = member.name === undefined ? undefined : checker.getSymbolAtLocation(member.name);
  const own = symbol === undefined ? "" : docText(checker, symbol);
  if (own !== "" || symbol === undefined) return own;
  for (const clause of decl.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
    for (const t of clause.types) {
      const inherited = checker.getTypeAtLocation(t).getProperty(symbol.name);
      if (inherited !== undefined && docText(checker, inherited) !== "") return docText(checker, inherited);
    }
  }
  return "";
}

function componentDoc(gen: Generator, symbol: ts.Symbol, decl: ts.ClassDeclaration): ComponentDoc {
  const { checker } = gen.project;
  const name = symbol.name;
  const file = relPath(gen.project, decl);
  const token = typeToken(decl) ?? "";
  if (token !== `flaskstack:index:${name}`) gen.problems.push(`${name}: type token is ${JSON.stringify(token)}, expected "flaskstack:index:${name}"`);
  let doc = docText(checker, symbol);
  if (doc === "") {
    gen.problems.push(`${name}: the class has no JSDoc (the reference uses the header comment of ${file})`);
    doc = fileComment(decl.getSourceFile());
  }
  const ctor = decl.members.find(ts.isConstructorDeclaration);
  const argsParam = ctor?.parameters.find((p) => p.name.getText() === "args") ?? ctor?.parameters[1];
  if (argsParam?.type === undefined || !ts.isTypeReferenceNode(argsParam.type)) throw new Error(`${name}: the constructor has no typed \`args\` parameter`);
  const argsName = argsParam.type.typeName.getText();
  const argsSymbol = checker.getSymbolAtLocation(argsParam.type.typeName);
  const argsDecl = argsSymbol === undefined ? undefined : resolveAlias(checker, argsSymbol).declarations?.[0];
  const props = checker.getPropertiesOfType(checker.getTypeAtLocation(argsParam));

  const lines = [`### ${name}`, "", `${code(token)} · [${file}](${file})`, "", doc, ""];
  const inherits = argsDecl !== undefined && ts.isInterfaceDeclaration(argsDecl) ? heritage(gen, argsDecl) : "";
  lines.push(`**Arguments** (${code(argsName)}${inherits}):`, "", ...ARGS_HEADER, ...props.map((p) => propertyRow(gen, argsName, p)), "");

  const fields = decl.members.filter((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && isPublic(m));
  if (fields.length > 0) {
    lines.push("**Outputs** (public readonly fields):", "", "| output | type | description |", "|---|---|---|");
    for (const f of fields) {
      const description = memberDoc(gen, decl, f);
      if (description === "") gen.problems.push(`${name}.${f.name.getText()}: public field without JSDoc`);
      if (!(ts.getCombinedModifierFlags(f) & ts.ModifierFlags.Readonly)) gen.problems.push(`${name}.${f.name.getText()}: public field is not readonly`);
      lines.push(`| ${code(f.name.getText())} | ${gen.types.cell(f.type, "unknown")} | ${cell(description)} |`);
    }
    lines.push("");
  }
  const methods = decl.members.filter((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && isPublic(m));
  if (methods.length > 0) {
    lines.push("**Methods**:", "", "| method | description |", "|---|---|");
    for (const m of methods) {
      const params = m.parameters.map((p) => `${p.name.getText()}${p.questionToken ? "?" : ""}: ${p.type ? gen.types.print(p.type).text : "unknown"}`);
      const signature = `${m.name.getText()}(${params.join(", ")})${m.type ? `: ${gen.types.print(m.type).text}` : ""}`;
      const description = memberDoc(gen, decl, m);
      if (description === "") gen.problems.push(`${name}.${m.name.getText()}(): public method without JSDoc`);
      lines.push(`| ${cell(code(signature))} | ${cell(description)} |`);
    }
    lines.push("");
  }
  const example = EXAMPLES[name];
  if (example === undefined) throw new Error(`${name}: no example (examples/reference/${name}.ts)`);
  lines.push("**Example**:", "", "```ts", example.trimEnd(), "```", "");
  return { name, token, markdown: lines.join("\n") };
}

function helperDoc(gen: Generator, symbol: ts.Symbol): { heading: string; markdown: string } {
  const { checker } = gen.project;
  const decl = symbol.declarations?.find(ts.isFunctionDeclaration);
  if (decl === undefined) throw new Error(`${symbol.name}: not a function declaration`);
  const file = relPath(gen.project, decl);
  let doc = docText(checker, symbol);
  if (doc === "") {
    gen.problems.push(`${symbol.name}(): the function has no JSDoc (the reference uses the header comment of ${file})`);
    doc = fileComment(decl.getSourceFile());
  }
  const params = decl.parameters.map((p) => `${p.name.getText()}: ${p.type ? gen.types.print(p.type).text : "unknown"}`);
  const signature = `${symbol.name}(${params.join(", ")})${decl.type ? `: ${gen.types.print(decl.type).text}` : ""}`;
  const heading = `${symbol.name}(${decl.parameters.map((p) => p.name.getText()).join(", ")})`;
  const lines = [`### ${heading}`, "", `${code(signature)} · [${file}](${file})`, "", doc, ""];
  for (const p of decl.parameters) {
    const type = checker.getTypeAtLocation(p);
    const typeName = p.type === undefined ? "unknown" : gen.types.print(p.type).text;
    lines.push(`**${code(p.name.getText())}** (${code(typeName)}):`, "", ...ARGS_HEADER);
    lines.push(...checker.getPropertiesOfType(type).map((prop) => propertyRow(gen, typeName, prop)), "");
  }
  return { heading, markdown: lines.join("\n") };
}

function argumentTypeDoc(gen: Generator, name: string, decl: ts.InterfaceDeclaration | ts.TypeAliasDeclaration): string {
  const { checker } = gen.project;
  const file = relPath(gen.project, decl);
  const symbol = checker.getSymbolAtLocation(decl.name);
  const doc = symbol === undefined ? "" : docText(checker, symbol);
  const lines = [`#### ${name}`, "", `${[doc, `[${file}](${file})`].filter((s) => s !== "").join(" · ")}`, ""];
  const rows = (type: ts.Type): string[] => checker.getPropertiesOfType(type).map((p) => propertyRow(gen, name, p));
  if (ts.isInterfaceDeclaration(decl)) {
    lines.push(...ARGS_HEADER.map((l) => l.replace("argument", "field")), ...rows(checker.getTypeAtLocation(decl.name)), "");
    return lines.join("\n");
  }
  const unparen = (n: ts.TypeNode): ts.TypeNode => (ts.isParenthesizedTypeNode(n) ? unparen(n.type) : n);
  const members = ts.isUnionTypeNode(unparen(decl.type)) ? (unparen(decl.type) as ts.UnionTypeNode).types.map(unparen) : [unparen(decl.type)];
  const shapes = members.filter(ts.isTypeLiteralNode);
  const others = members.filter((m) => !ts.isTypeLiteralNode(m));
  if (others.length > 0) {
    lines.push("One of:", "");
    for (const m of others) {
      const symbol = ts.isTypeReferenceNode(m) ? checker.getSymbolAtLocation(m.typeName) : undefined;
      const target = symbol === undefined ? undefined : resolveAlias(checker, symbol);
      const memberDoc = target === undefined ? "" : docText(checker, target);
      const printed = gen.types.print(m);
      const ref = printed.refs[0];
      const label = ref === undefined ? code(printed.text) : `[${code(printed.text)}](#${gen.types.links.get(ref)})`;
      const by = target === undefined ? [] : implementers(gen, target);
      const byText = by.length === 0 ? "" : ` (${by.map((c) => `[${c}](#${anchor(c)})`).join(", ")})`;
      lines.push(`- ${label}${byText}${memberDoc === "" ? "" : `: ${memberDoc}`}`);
    }
    lines.push("");
  }
  if (shapes.length > 0) {
    if (shapes.length > 1) lines.push(`${others.length > 0 ? "Or one" : "One"} of ${shapes.length} shapes; each starts at its \`kind\` row:`, "");
    lines.push(...ARGS_HEADER.map((l) => l.replace("argument", "field")));
    for (const shape of shapes) lines.push(...rows(checker.getTypeFromTypeNode(shape)));
    lines.push("");
  }
  return lines.join("\n");
}

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

// ---------------------------------------------------------------------------------------------------
// Reference file plumbing.

/** The text between the markers, or undefined when the file has no reference block. */
export function readmeBlock(readme: string): string | undefined {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return readme
    .slice(start + START_MARKER.length, end)
    .replace(/^\n/, "")
    .replace(/\n$/, "");
}

/** The block as it is written between the markers (a blank line before the end marker closes the last table). */
function blockText(reference: Reference): string {
  return `\n${reference.markdown}\n`;
}

/** The reference file with the block replaced (or, the first time, a file holding just the block). */
export function withBlock(readme: string, reference: Reference): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start >= 0 && end > start) {
    return readme.slice(0, start + START_MARKER.length) + blockText(reference) + readme.slice(end);
  }
  return `${readme.trimEnd() === "" ? "# Component reference\n" : readme.trimEnd() + "\n"}\n${START_MARKER}${blockText(reference)}${END_MARKER}\n`;
}

export interface Example {
  /** The `### ` heading the example is under (the component's name). */
  readonly section: string;
  readonly code: string;
}

/** The fenced TypeScript examples of a block, in order. */
export function examplesIn(block: string): Example[] {
  return [...block.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => {
    const headings = [...block.slice(0, m.index).matchAll(/^### (.+)$/gm)];
    return { section: headings.length === 0 ? "" : headings[headings.length - 1][1], code: m[1] };
  });
}

/** Where two texts first differ, for a readable failure message. */
export function firstDifference(actual: string, expected: string): string {
  const a = actual.split("\n");
  const e = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      return `line ${i + 1} of the block:\n  file:      ${a[i] ?? "(end of block)"}\n  generated: ${e[i] ?? "(end of block)"}`;
    }
  }
  return "no difference";
}

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
