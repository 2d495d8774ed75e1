/**
 * What the test-host modules share: the host kinds and the shape of a started host, the label and
 * name the containers carry, and where the run keys live (.cache/hosts/<run>/).
 */
import * as path from "path";

export type HostKind = "vm" | "pi" | "armhf";

export interface TestHost {
  /** Docker container name (unique). */
  name: string;
  kind: HostKind;
  host: "127.0.0.1";
  sshPort: number;
  httpPort: number;
  httpsPort: number;
  /** The login user: `deploy` (vm) or `pi` (pi, armhf); passwordless sudo. */
  user: string;
  /** OpenSSH-format ed25519 private key (one per startHosts call). */
  privateKey: string;
  privateKeyPath: string;
  /** The container's address on Docker's bridge (reachable from this machine). */
  containerIp: string;
  /** `uname -m` of the host: x86_64 (vm), aarch64 (pi) or armv7l (armhf). */
  arch: string;
}

export interface StartOptions {
  /** Container name prefix (default `flaskstack-test`). */
  prefix?: string;
  /** Seconds to wait for SSH + boot (default 120 for vm, 300 for pi, 420 for armhf). */
  readyTimeoutSec?: number;
  /** Docker memory limit, e.g. 1024 for a 1 GB Pi (visible in cgroups, not in /proc/meminfo). */
  memoryMb?: number;
  /** Docker CPU limit (e.g. 1.5). */
  cpus?: number;
  /**
   * Who owns the containers, for garbage collection. "process" (default): this process; they
   * are removed by the next startHosts()/gc once it has exited. "manual": kept until removed by
   * name or by `gc --all` (the CLI uses this).
   */
  owner?: "process" | "manual";
  /** Progress messages (default: to stderr). */
  log?: (message: string) => void;
}

export const LABEL = "flaskstack.test";
export const ROOT = path.resolve(__dirname, "..", "..");
const CACHE = path.join(ROOT, ".cache");
export const HOSTS_DIR = path.join(CACHE, "hosts");

export const KINDS: Record<HostKind, { defaultTimeoutSec: number }> = {
  vm: { defaultTimeoutSec: 120 },
  pi: { defaultTimeoutSec: 300 },
  armhf: { defaultTimeoutSec: 420 },
};

/** The kinds startHosts() knows, for CLIs and error messages. */
export const HOST_KINDS = Object.keys(KINDS) as HostKind[];

export function isHostKind(k: string | undefined): k is HostKind {
  return k !== undefined && Object.prototype.hasOwnProperty.call(KINDS, k);
}

export const defaultLog = (m: string): void => {
  process.stderr.write(`[test-hosts] ${m}\n`);
};
