/**
 * Validation rules: each function returns one row of a validation table (`Rule`) for one argument.
 * A value that is `undefined` is skipped (condition false): optional arguments are validated only when
 * given, and the component layer passes only values that are known.
 *
 * Messages name the argument in backticks and end with "(got …)", e.g.
 * "`processes` must be an integer between 1 and 1024 (got 0)".
 */
import { isIP } from "net";
import { Rule } from "./errors";

/** Render a value for the "(got …)" tail of a message: strings JSON-quoted (shows newlines), numbers bare. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return String(value);
  }
  return JSON.stringify(value) ?? String(value);
}

/** Name one character for a message: "a space", "a newline", "a quote `'`", "`;`". */
export function describeChar(c: string): string {
  switch (c) {
    case " ":
      return "a space";
    case "\n":
      return "a newline";
    case "\r":
      return "a carriage return";
    case "\t":
      return "a tab";
    case "\0":
      return "a NUL character";
    case "'":
      return "a quote `'`";
    case '"':
      return 'a quote `"`';
    case "`":
      return "a backquote";
    default:
      return /[\x00-\x1f\x7f-\x9f]/.test(c) ? `a control character (U+${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()})` : `\`${c}\``;
  }
}

/** Build a rule that fails with `problem` when `problem` is defined: "`arg` <problem> (got <value>)". */
export function ruleFrom(argument: string, value: unknown, problem: string | undefined): Rule {
  return {
    condition: problem !== undefined,
    argument,
    message: problem === undefined ? "" : `\`${argument}\` ${problem} (got ${describeValue(value)})`,
  };
}

/** Plain rule for cross-field checks: fails when `condition` is true, with the message as given. */
export function rule(condition: boolean, argument: string, message: string): Rule {
  return { condition, argument, message };
}

function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

/** `value` must be an integer in [min, max]. */
export function intRangeRule(argument: string, value: number | undefined, min: number, max: number): Rule {
  const bad = value !== undefined && !(isInteger(value) && value >= min && value <= max);
  return ruleFrom(argument, value, bad ? `must be an integer between ${min} and ${max}` : undefined);
}

/** `value` must be a TCP port: an integer in [1, 65535]. */
export function portRule(argument: string, value: number | undefined): Rule {
  const bad = value !== undefined && !(isInteger(value) && value >= 1 && value <= 65535);
  return ruleFrom(argument, value, bad ? "must be a port number between 1 and 65535" : undefined);
}

/** `value` must be one of `options`: "`workerClass` must be one of sync, gthread, gevent (got "eventlet")". */
export function oneOfRule<T extends string | number | boolean>(argument: string, value: T | undefined, options: readonly T[]): Rule {
  const bad = value !== undefined && !options.includes(value);
  return ruleFrom(argument, value, bad ? `must be one of ${options.join(", ")}` : undefined);
}

/** Characters a shell, an ini parser or a config expander treats specially. */
const SPECIAL_CHARS = /[\s'"`;&|<>$\\*?[\](){}!#~%,=:\x00-\x1f\x7f]/;

/** The first special character of `value`, if any. */
function firstSpecialChar(value: string): string | undefined {
  const match = SPECIAL_CHARS.exec(value);
  return match === null ? undefined : match[0];
}

/** Rule text for safe names (app, user, group, program, site names). */
export const SAFE_NAME_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

/** Why `value` is not a safe name, or undefined when it is. */
export function safeNameProblem(value: string): string | undefined {
  if (SAFE_NAME_PATTERN.test(value)) {
    return undefined;
  }
  const what = "must be 1 to 32 characters of a-z, 0-9, _ and -, starting with a letter or _";
  if (value.length === 0) {
    return `${what}: it is empty`;
  }
  const bad = /[^a-z0-9_-]/.exec(value);
  if (bad !== null) {
    return `${what}: it contains ${describeChar(bad[0])}`;
  }
  if (value.length > 32) {
    return `${what}: it has ${value.length} characters`;
  }
  return `${what}: it starts with ${describeChar(value[0])}`;
}

/**
 * `value` must be a safe name (Linux user/group, supervisor program, nginx site, app): `^[a-z_][a-z0-9_-]{0,31}$`.
 * Such names need no quoting anywhere (shell, ini, nginx, file names), which is why nothing else is allowed.
 */
export function safeNameRule(argument: string, value: string | undefined): Rule {
  return ruleFrom(argument, value, value === undefined ? undefined : safeNameProblem(value));
}

/** Why `value` is not an acceptable absolute path, or undefined when it is. */
export function absolutePathProblem(value: string): string | undefined {
  if (!value.startsWith("/")) {
    return "must be an absolute path (starting with /)";
  }
  if (value.split("/").includes("..")) {
    return "must not contain `..`";
  }
  const bad = /[^A-Za-z0-9._@+/-]/.exec(value);
  if (bad !== null) {
    const kind = /[\s'"\x00-\x1f\x7f]/.test(bad[0]) ? "" : " (paths may hold only A-Z, a-z, 0-9 and . _ @ + - /)";
    return `must not contain ${describeChar(bad[0])}${kind}`;
  }
  return undefined;
}

/**
 * `value` must be an absolute path without `..`, whitespace, quotes or characters that a shell, an ini
 * file, nginx, supervisor or uWSGI would interpret: only `A-Z a-z 0-9 . _ @ + - /`. The message says which
 * rule is broken.
 */
export function absolutePathRule(argument: string, value: string | undefined): Rule {
  return ruleFrom(argument, value, value === undefined ? undefined : absolutePathProblem(value));
}

const DNS_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const DOMAIN = new RegExp(`^(?:${DNS_LABEL}\\.)*${DNS_LABEL}\\.?$`);

/** True when `value` is a DNS name such as `example.com` or `localhost`. */
export function isDomainName(value: string): boolean {
  return value.length <= 253 && DOMAIN.test(value);
}

/**
 * `value` must be an nginx `server_name` we accept: `_` (catch-all), a DNS name, a wildcard `*.example.com`,
 * a leading-dot `.example.com`, or an IP address. Regex server names are not accepted.
 */
export function serverNameRule(argument: string, value: string | undefined): Rule {
  let problem: string | undefined;
  if (value !== undefined && value !== "_" && isIP(value) === 0) {
    const name = value.startsWith("*.") ? value.slice(2) : value.startsWith(".") ? value.slice(1) : value;
    if (!isDomainName(name)) {
      const bad = firstSpecialChar(value);
      problem =
        bad === undefined
          ? "must be a domain name (example.com, *.example.com, .example.com), an IP address or _"
          : `must be a domain name (example.com, *.example.com, .example.com), an IP address or _: it contains ${describeChar(bad)}`;
    }
  }
  return ruleFrom(argument, value, problem);
}

/** `value` must be an IP address or a DNS name (a host to bind to or connect to). */
export function hostRule(argument: string, value: string | undefined): Rule {
  const bad = value !== undefined && isIP(value) === 0 && !isDomainName(value);
  return ruleFrom(argument, value, bad ? "must be an IP address or a host name" : undefined);
}

/** True when `value` is an IPv4/IPv6 address with an optional CIDR prefix length, or `all`. */
export function isIpSource(value: string): boolean {
  if (value === "all") {
    return true;
  }
  const [address, prefix, ...rest] = value.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) {
    return false;
  }
  if (prefix === undefined) {
    return true;
  }
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max;
}

/** `value` must be an nginx `allow`/`deny` source: an IP, a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or `all`. */
export function ipSourceRule(argument: string, value: string | undefined): Rule {
  const bad = value !== undefined && !isIpSource(value);
  return ruleFrom(argument, value, bad ? "must be an IP address, a CIDR range such as 10.0.0.0/8, or all" : undefined);
}

/** `value` must be an nginx size: digits with an optional k/K, m/M or g/G suffix (`10m`, `1k`, `512`). */
export function sizeRule(argument: string, value: string | undefined): Rule {
  const bad = value !== undefined && !/^\d{1,12}[kKmMgG]?$/.test(value);
  return ruleFrom(argument, value, bad ? "must be an nginx size such as 512, 1k, 10m or 1g" : undefined);
}

/** `value` must be an nginx time: digits with an optional unit ms, s, m, h, d, w, M or y (`60s`, `1d`). */
export function durationRule(argument: string, value: string | undefined): Rule {
  const bad = value !== undefined && !/^\d{1,9}(?:ms|s|m|h|d|w|M|y)?$/.test(value);
  return ruleFrom(argument, value, bad ? "must be an nginx time such as 500ms, 60s, 5m, 1h or 1d" : undefined);
}

/** Every rule of `rules(item, index)` for each item, arguments named `argument[index]`. */
/** A URL path (and query) for a health request: starts with `/`, no spaces, quotes or shell characters. */
export function urlPathRule(argument: string, value: string | undefined): Rule {
  const ok = value === undefined || /^\/[A-Za-z0-9._~!$&()*+,;=:@%/?-]*$/.test(value);
  return rule(!ok, argument, `\`${argument}\` must be a URL path starting with / (got ${JSON.stringify(value)})`);
}

export function eachRule<T>(argument: string, values: readonly T[] | undefined, rules: (name: string, value: T) => Rule | readonly Rule[]): Rule[] {
  if (values === undefined) {
    return [];
  }
  return values.flatMap((value, i) => rules(`${argument}[${i}]`, value));
}
