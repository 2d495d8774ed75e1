/** Types: printed compactly, named object types listed under "Argument types". */
import * as ts from "typescript";
import { isProjectFile, Project, resolveAlias } from "./project";
import { anchor, cell, code, hasTopLevel, oneLine } from "./text";

export interface Printed {
  readonly text: string;
  /** Linkable names referenced (expanded argument types, components). */
  readonly refs: readonly string[];
}

export class TypePrinter {
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

export function propertyTypeNode(symbol: ts.Symbol): ts.TypeNode | undefined {
  const decl = symbol.declarations?.[0];
  return decl !== undefined && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined;
}

/** The `kind` literal(s) of an object shape in a discriminated union. */
function kindOf(shape: ts.TypeLiteralNode): string | undefined {
  const kind = shape.members.find((m) => ts.isPropertySignature(m) && m.name.getText() === "kind") as ts.PropertySignature | undefined;
  return kind?.type?.getText();
}
