/**
 * The environment loader: a Python file the servers run before they import the app. It reads the
 * app's environment file (shell assignments, as flaskstack writes them) into `os.environ`, and unsets
 * the keys an earlier version of the file set that this one no longer does.
 */
import { ENV_KEYS_VARIABLE } from "../config/app";
import { shellQuote } from "../quote";
import { pythonLiteral } from "./gunicorn";
import { MANAGED_HEADER } from "./header";

export function renderEnvLoader(envFile: string): string {
  return [
    MANAGED_HEADER,
    `"""Loads ${envFile} into os.environ before the server imports the app."""`,
    "import os",
    "import shlex",
    "",
    "",
    "def load(path):",
    '    with open(path, encoding="utf-8") as f:',
    "        words = shlex.split(f.read(), comments=True, posix=True)",
    '    env = dict(w.split("=", 1) for w in words if "=" in w)',
    `    for key in os.environ.get(${pythonLiteral(ENV_KEYS_VARIABLE)}, "").split():`,
    "        if key not in env:",
    "            os.environ.pop(key, None)",
    "    os.environ.update(env)",
    "",
    "",
    `load(${pythonLiteral(envFile)})`,
    "",
  ].join("\n");
}

/**
 * The environment file: one shell assignment per key (sorted), sourced by the start wrapper and read
 * by the loader; last, the list of its keys.
 */
export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  const keys = Object.keys(env).sort();
  return `${MANAGED_HEADER}\n${keys.map((k) => `${k}=${shellQuote(String(env[k]))}\n`).join("")}${ENV_KEYS_VARIABLE}=${shellQuote(keys.join(" "))}\n`;
}
