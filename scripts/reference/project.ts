/** The compiler's view of the components: the program over components/index.ts and its exports in reference order. */
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "./constants";

export interface Project {
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

export function loadProject(root: string): Project {
  const indexPath = path.join(root, "components", "index.ts");
  const program = ts.createProgram([indexPath], { ...projectCompilerOptions(root), noEmit: true });
  const index = program.getSourceFile(indexPath);
  if (index === undefined) throw new Error(`cannot load ${indexPath}`);
  return { root, program, checker: program.getTypeChecker(), index };
}

export function resolveAlias(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

export function isProjectFile(project: Project, file: ts.SourceFile): boolean {
  const rel = path.relative(project.root, file.fileName);
  return !rel.startsWith("..") && !rel.split(path.sep).includes("node_modules");
}

export function relPath(project: Project, node: ts.Node): string {
  return path.relative(project.root, node.getSourceFile().fileName).split(path.sep).join("/");
}

/** Exports of components/index.ts in the order of its export statements, then of their files. */
export function orderedExports(project: Project): ts.Symbol[] {
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

/** A class type, or the generic class an instantiation (`Base<Settings>`, as a base type) refers to. */
function classTarget(type: ts.Type): ts.Type {
  const reference = type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference;
  return reference ? (type as ts.TypeReference).target : type;
}

export function isComponentResource(checker: ts.TypeChecker, type: ts.Type): boolean {
  const target = classTarget(type);
  const bases = target.isClassOrInterface() ? checker.getBaseTypes(target) : [];
  return bases.some((base) => {
    const decl = base.symbol?.declarations?.[0];
    const fromPulumi = decl !== undefined && /[\\/]@pulumi[\\/]pulumi[\\/]/.test(decl.getSourceFile().fileName);
    return (base.symbol?.name === "ComponentResource" && fromPulumi) || isComponentResource(checker, base);
  });
}

/**
 * A class and the classes it extends, nearest first, as long as they are the project's (the chain of a
 * component stops before @pulumi/pulumi's ComponentResource). A generic base counts as its class.
 */
export function classChain(project: Project, decl: ts.ClassDeclaration): ts.ClassDeclaration[] {
  const { checker } = project;
  const chain: ts.ClassDeclaration[] = [];
  let current: ts.ClassDeclaration | undefined = decl;
  while (current !== undefined && isProjectFile(project, current.getSourceFile()) && !chain.includes(current)) {
    chain.push(current);
    const symbol: ts.Symbol | undefined = current.name === undefined ? undefined : checker.getSymbolAtLocation(current.name);
    const type: ts.Type | undefined = symbol === undefined ? undefined : classTarget(checker.getDeclaredTypeOfSymbol(symbol));
    // A class's base types are its one base class (the interfaces it implements are not among them).
    const base: ts.Type | undefined = type?.isClassOrInterface() ? checker.getBaseTypes(type)[0] : undefined;
    current = base?.symbol?.declarations?.find(ts.isClassDeclaration);
  }
  return chain;
}
