/**
 * The WSGI entry point, `module:callable`, as every server understands it:
 * `pkg.wsgi:app` (a module-level app object) or `manage:create_app()` (an app factory, called once
 * without arguments). uWSGI (`module = manage:create_app()`), Gunicorn (`wsgi_app`) and Flask's docs
 * accept that spelling; Waitress takes `--call manage:create_app` instead.
 */
import { Rule } from "./errors";
import { describeChar, ruleFrom } from "./validate";

/** A parsed WSGI entry point. */
export interface WsgiEntry {
  /** Dotted Python module path, e.g. `pkg.wsgi`. */
  readonly module: string;
  /** Attribute of the module: the WSGI app, or the factory that returns it. */
  readonly callable: string;
  /** True for `module:factory()`: the callable is called once, without arguments, to get the app. */
  readonly factory: boolean;
}

const IDENTIFIER = "[A-Za-z_][A-Za-z0-9_]*";
const ENTRY = new RegExp(`^(${IDENTIFIER}(?:\\.${IDENTIFIER})*):(${IDENTIFIER})(\\(\\))?$`);

/** Why `text` is not a WSGI entry, or undefined when it is one. */
export function wsgiEntryProblem(text: string): string | undefined {
  if (ENTRY.test(text)) {
    return undefined;
  }
  const what = "must be `module:callable` such as `pkg.wsgi:app`, or an app factory such as `manage:create_app()`";
  const bad = /[^A-Za-z0-9_.:()]/.exec(text);
  if (bad !== null) {
    return `${what}: it contains ${describeChar(bad[0])}`;
  }
  const colons = text.split(":").length - 1;
  if (colons === 0) {
    return `${what}: it has no colon`;
  }
  if (colons > 1) {
    return `${what}: it has more than one colon`;
  }
  if (/\((?!\)$)/.test(text)) {
    return `${what}: a factory is called without arguments, as \`name()\``;
  }
  return `${what}: module and callable must be Python identifiers`;
}

/** `value` must be a WSGI entry point (see `WsgiEntry`). */
export function wsgiEntryRule(argument: string, value: string | undefined): Rule {
  return ruleFrom(argument, value, value === undefined ? undefined : wsgiEntryProblem(value));
}

/**
 * Parse `module:callable` or `module:factory()`.
 * @throws Error when `text` is not a valid entry (validate with `wsgiEntryRule` first for a good message).
 */
export function parseWsgiEntry(text: string): WsgiEntry {
  const match = ENTRY.exec(text);
  if (match === null) {
    throw new Error(`invalid WSGI entry ${JSON.stringify(text)}: ${wsgiEntryProblem(text)}`);
  }
  return { module: match[1], callable: match[2], factory: match[3] !== undefined };
}

/** `pkg.wsgi:app`, or `manage:create_app()` for a factory: the spelling uWSGI and Gunicorn accept. */
export function wsgiEntryToString(entry: WsgiEntry): string {
  return `${entry.module}:${entry.callable}${entry.factory ? "()" : ""}`;
}
