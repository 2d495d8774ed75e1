/**
 * Preflight: can this host run what was asked? Pure checks over the host's facts, run before any
 * package is installed (and in every preview once the facts are known), so a host that cannot run
 * the app fails with a clear reason instead of a half-built deployment.
 */
import { HostFacts } from "./facts";

/** Architectures the stack is tested on (x86_64 VMs, 64- and 32-bit Raspberry Pi OS) or known to work. */
export const SUPPORTED_ARCHES: readonly string[] = ["x86_64", "aarch64", "armv7l", "armv6l"];
/** Oldest Python the stack supports: Flask 3 and the pinned WSGI servers need 3.9. */
export const MIN_PYTHON: readonly [number, number] = [3, 9];
/** Free space a venv with a typical Flask app and its server needs on `/`, with room to spare. */
export const MIN_DISK_FREE_MB = 300;
/** Below this much memory even one worker and nginx are likely to be killed. */
export const MIN_MEMORY_MB = 200;

/** Every reason the host cannot run the stack; empty when it can. */
export function preflightProblems(facts: HostFacts): string[] {
  const problems: string[] = [];
  if (!SUPPORTED_ARCHES.includes(facts.arch)) {
    problems.push(`architecture ${facts.arch} is not supported (supported: ${SUPPORTED_ARCHES.join(", ")})`);
  }
  // No python3 yet is fine: the host's package set installs Debian's.
  if (facts.pythonVersion !== undefined) {
    const [major, minor] = facts.pythonVersion.split(".").map(Number);
    if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
      problems.push(
        `python3 on the host is ${facts.pythonVersion}; flaskstack needs ${MIN_PYTHON.join(".")} or later ` + "(Debian 11 / Raspberry Pi OS bullseye or newer)",
      );
    }
  }
  if (facts.diskFreeMb !== undefined && facts.diskFreeMb < MIN_DISK_FREE_MB) {
    problems.push(`only ${facts.diskFreeMb} MiB free on / (a venv needs about ${MIN_DISK_FREE_MB} MiB)`);
  }
  if (facts.memoryMb < MIN_MEMORY_MB) {
    problems.push(`only ${facts.memoryMb} MiB of memory (at least ${MIN_MEMORY_MB} MiB are needed for nginx and one worker)`);
  }
  if (facts.initSystem !== "systemd") {
    problems.push("the host does not run systemd, which nginx and supervisor are started by on Debian");
  }
  return problems;
}

/** PEP 503 normalized project name: `Flask_SQLAlchemy` → `flask-sqlalchemy`. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The project a requirements line names, or undefined for blank lines, comments and options. */
export function requirementName(line: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
  return m ? normalizeProjectName(m[1]) : undefined;
}

/**
 * Requirements text without the projects taken from apt instead (`fromApt` keys), and the list of
 * those that were actually named in it.
 */
export function withoutAptProjects(requirements: string, fromApt: readonly string[]): { text: string; removed: string[] } {
  const skip = new Set(fromApt.map(normalizeProjectName));
  const removed: string[] = [];
  const kept = requirements.split("\n").filter((line) => {
    const name = requirementName(line);
    if (name !== undefined && skip.has(name)) {
      removed.push(name);
      return false;
    }
    return true;
  });
  return { text: kept.join("\n"), removed };
}
