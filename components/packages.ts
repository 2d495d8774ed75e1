/**
 * Which Debian packages a host needs for what runs on it. Pure: the stack (or the user) passes the
 * result to `Host` as `packages`, so everything is installed in one apt transaction.
 */

export interface PackageNeeds {
  /** nginx in front. @default true */
  readonly nginx?: boolean;
  /** supervisor keeps the WSGI server alive. @default true */
  readonly supervisor?: boolean;
  /** uWSGI from Debian (`uwsgi-core` + `uwsgi-plugin-python3`) instead of pip. @default false */
  readonly uwsgiFromApt?: boolean;
  /** uWSGI from pip compiles C: it needs a compiler and Python headers. @default false */
  readonly uwsgiFromPip?: boolean;
}

/** Python with venv support: every app gets its own virtualenv. */
export const BASE_PACKAGES: readonly string[] = ["ca-certificates", "python3", "python3-venv", "python3-pip"];

/** The sorted Debian package list for a host running what `needs` describes (pass it to `Host`). */
export function packagesFor(needs: PackageNeeds): string[] {
  const list = [...BASE_PACKAGES];
  if (needs.nginx ?? true) list.push("nginx");
  if (needs.supervisor ?? true) list.push("supervisor");
  if (needs.uwsgiFromApt) list.push("uwsgi-core", "uwsgi-plugin-python3");
  if (needs.uwsgiFromPip) list.push("build-essential", "python3-dev");
  return [...new Set(list)].sort();
}

/** Debian package names: lower case letters, digits, `+`, `-`, `.`; at least two characters. */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
