/**
 * The app's virtualenv on the host: built once per content hash under `<baseDir>/venvs/<id>`, never
 * changed after. The root script is pure text, so unit tests run it against stub `python3` and `pip`.
 */
import { shellQuote as q } from "../quote";

export interface VenvScriptSpec {
  /** `<baseDir>/venvs/<id>`. */
  readonly venvDir: string;
  /** `python3 -m venv --system-site-packages` (projects taken from apt). */
  readonly systemSitePackages: boolean;
  /** pip options before `-r requirements.txt` (index, find-links, binary preferences). */
  readonly pipArgs: readonly string[];
}

/**
 * Root script, requirements on stdin. A venv that is complete (its marker file) is left alone. Else it
 * is built from scratch: without a C compiler a dry run first checks that every requirement comes as a
 * wheel for this host (exit 3 with what to do, before anything is installed); a build that fails
 * half-way removes the venv, so the next run starts clean. Done means `.flaskstack-complete`.
 */
export function venvScript(spec: VenvScriptSpec): string {
  const pipArgs = spec.pipArgs.map(q).join(" ");
  return [
    "set -eu",
    `v=${q(spec.venvDir)}`,
    // One build at a time: one whose SSH connection dropped may still be running on the host.
    `exec 9>"$(dirname "$v")/.lock"`,
    `flock 9`,
    `if [ ! -e "$v/.flaskstack-complete" ]; then`,
    `  rm -rf "$v"`,
    `  trap 'rm -rf "$v"' EXIT`,
    `  python3 -m venv ${spec.systemSitePackages ? "--system-site-packages " : ""}"$v"`,
    `  cat > "$v/requirements.txt"`,
    `  pip() { "$v/bin/pip" --disable-pip-version-check --no-input "$@"; }`,
    `  if ! command -v cc >/dev/null 2>&1; then`,
    `    if ! out=$(pip install --dry-run --quiet --only-binary :all: ${pipArgs} -r "$v/requirements.txt" 2>&1); then`,
    `      echo "$out" | tail -n 5 >&2`,
    `      echo "flaskstack: a requirement has no prebuilt wheel for $(uname -m) / Python $(python3 -c 'import platform; print(platform.python_version())') and the host has no C compiler." >&2`,
    `      echo "flaskstack: add build-essential and python3-dev to the Host's packages, take the project from apt (FlaskApp pip.fromApt), or give an index with wheels (pip.extraIndexUrls)." >&2`,
    `      exit 3`,
    `    fi`,
    `  fi`,
    `  pip install --progress-bar off ${pipArgs} -r "$v/requirements.txt"`,
    `  chmod -R go+rX,go-w "$v"`,
    `  touch "$v/.flaskstack-complete"`,
    `  trap - EXIT`,
    `fi`,
  ].join("\n");
}
