/**
 * nginx configuration syntax: a directive tree and the one function that turns it into text
 * (crossplane's `build`, in small). ALL nginx quoting happens in `nginxArg`.
 */

/** A directive `name arg…;`, or a block `name arg… { … }` when `block` is set. */
export interface NginxDirective {
  readonly directive: string;
  readonly args: readonly string[];
  readonly block?: readonly NginxNode[];
}

/** A node of the tree: a directive, a `# comment` line, or a blank line (for readability). */
export type NginxNode = NginxDirective | { readonly comment: string } | { readonly blank: true };

/** Shorthand for a directive. */
export function d(directive: string, ...args: (string | number)[]): NginxDirective {
  return { directive, args: args.map(String) };
}

/** Shorthand for a block. */
export function block(directive: string, args: readonly (string | number)[], body: readonly NginxNode[]): NginxDirective {
  return { directive, args: args.map(String), block: body };
}

export const BLANK: NginxNode = { blank: true };

/**
 * Characters that need no quoting in an nginx argument. `$` is included on purpose: variables such as
 * `$host` are written bare, and nginx expands `$` inside quotes too, so quoting could not make it literal
 * anyway — which is why the resolvers refuse `$` in every user-given value.
 */
const BARE_ARG = /^[A-Za-z0-9_.:/=@+*,\-[\]$%^~]+$/;

/**
 * THE nginx quoting function: an argument as nginx must read it back. Bare when it only holds safe
 * characters, else double-quoted with `\` and `"` escaped (nginx's quoted-string rules).
 * @throws Error on control characters (newlines would make the file unreadable to humans and diffs).
 */
export function nginxArg(value: string): string {
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new Error(`cannot write nginx argument ${JSON.stringify(value)}: it contains a control character`);
  }
  if (BARE_ARG.test(value)) {
    return value;
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Render a tree as nginx config text, four spaces per level. */
export function buildNginxConf(nodes: readonly NginxNode[], depth = 0): string {
  const indent = "    ".repeat(depth);
  return nodes
    .map((node) => {
      if ("blank" in node) {
        return "";
      }
      if ("comment" in node) {
        if (/[\r\n]/.test(node.comment)) {
          throw new Error(`cannot write a multi-line nginx comment: ${JSON.stringify(node.comment)}`);
        }
        return `${indent}# ${node.comment}`;
      }
      if (!/^[a-z_][a-z0-9_]*$/.test(node.directive)) {
        throw new Error(`invalid nginx directive name ${JSON.stringify(node.directive)}`);
      }
      const head = [node.directive, ...node.args.map(nginxArg)].join(" ");
      if (node.block === undefined) {
        return `${indent}${head};`;
      }
      return `${indent}${head} {\n${buildNginxConf(node.block, depth + 1)}\n${indent}}`;
    })
    .join("\n");
}
