/** Documentation model and rendering: the Markdown sections of components, helpers and argument types. */
import * as ts from "typescript";
import { EXAMPLES } from "./constants";
import { classChain, Project, relPath, resolveAlias } from "./project";
import { anchor, cell, code, docText, fileComment, formatDefault, oneLine } from "./text";
import { propertyTypeNode, TypePrinter } from "./types";

export interface Generator {
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

export interface ComponentDoc {
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

/** A public field of a component, declared in its class or in a class it extends. */
export interface OutputField {
  readonly name: string;
  /** Its nearest declaration (the component's own redeclaration, `declare readonly settings: …`, over a base class's). */
  readonly decl: ts.PropertyDeclaration;
  /** The type as declared, or undefined when that names a base class's type parameter (then `typeText` is the type). */
  readonly type: ts.TypeNode | undefined;
  /** The type as the component has it (a generic base's type parameters filled in). */
  readonly typeText: string;
  /** The nearest doc comment: of its declarations, then of the interfaces the classes implement. */
  readonly doc: string;
  readonly readonly: boolean;
}

/** Whether a type node names a type parameter (`T`, `Output<T>`). */
function namesTypeParameter(checker: ts.TypeChecker, node: ts.Node): boolean {
  if (ts.isTypeReferenceNode(node) && (checker.getTypeFromTypeNode(node).flags & ts.TypeFlags.TypeParameter) !== 0) return true;
  return ts.forEachChild(node, (child) => namesTypeParameter(checker, child) || undefined) ?? false;
}

/**
 * The public instance fields of a component class, its base classes' included: the furthest base's
 * first, each where it is first declared, with the type and doc of its nearest declaration.
 */
export function outputFields(project: Project, decl: ts.ClassDeclaration): OutputField[] {
  const { checker } = project;
  const chain = classChain(project, decl);
  /** Every instance property declaration by name, nearest first; names in the order they first appear from the furthest base down. */
  const declarations = new Map<string, ts.PropertyDeclaration[]>();
  for (const cls of [...chain].reverse()) {
    for (const m of cls.members) {
      if (!ts.isPropertyDeclaration(m) || ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) continue;
      const name = m.name.getText();
      declarations.set(name, [m, ...(declarations.get(name) ?? [])]);
    }
  }
  const symbol = decl.name === undefined ? undefined : checker.getSymbolAtLocation(decl.name);
  const classType = symbol === undefined ? undefined : checker.getDeclaredTypeOfSymbol(symbol);
  const interfaces = chain.flatMap((cls) =>
    (cls.heritageClauses ?? []).filter((h) => h.token === ts.SyntaxKind.ImplementsKeyword).flatMap((h) => h.types.map((t) => checker.getTypeAtLocation(t))),
  );
  const fields: OutputField[] = [];
  for (const [name, decls] of declarations) {
    const nearest = decls[0];
    if (!isPublic(nearest)) continue;
    const own = decls.map((d) => checker.getSymbolAtLocation(d.name)).filter((s): s is ts.Symbol => s !== undefined);
    const inherited = interfaces.map((t) => t.getProperty(name)).filter((s): s is ts.Symbol => s !== undefined);
    const doc = [...own, ...inherited].map((s) => docText(checker, s)).find((d) => d !== "") ?? "";
    const property = classType?.getProperty(name);
    const typeText = property === undefined ? "unknown" : checker.typeToString(checker.getTypeOfSymbol(property));
    const type = nearest.type !== undefined && !namesTypeParameter(checker, nearest.type) ? nearest.type : undefined;
    const readonly = (ts.getCombinedModifierFlags(nearest) & ts.ModifierFlags.Readonly) !== 0;
    fields.push({ name, decl: nearest, type, typeText, doc, readonly });
  }
  return fields;
}

export function componentDoc(gen: Generator, symbol: ts.Symbol, decl: ts.ClassDeclaration): ComponentDoc {
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

  const fields = outputFields(gen.project, decl);
  if (fields.length > 0) {
    lines.push("**Outputs** (public readonly fields):", "", "| output | type | description |", "|---|---|---|");
    for (const f of fields) {
      if (f.doc === "") gen.problems.push(`${name}.${f.name}: public field without JSDoc`);
      if (!f.readonly) gen.problems.push(`${name}.${f.name}: public field is not readonly`);
      lines.push(`| ${code(f.name)} | ${gen.types.cell(f.type, f.typeText)} | ${cell(f.doc)} |`);
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

export function helperDoc(gen: Generator, symbol: ts.Symbol): { heading: string; markdown: string } {
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

export function argumentTypeDoc(gen: Generator, name: string, decl: ts.InterfaceDeclaration | ts.TypeAliasDeclaration): string {
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
