/**
 * Facts about a host, gathered once by a remote command whose output is kept in state: later
 * `up`s and previews read them from state and open no SSH connection.
 */
import * as command from "@pulumi/command";
import { HostConnection, PrimitiveOptions, remoteCommand } from "./connection";

/** Prints one `key=value` per line; parsed by `parseHostFacts` in the config layer. */
export const FACTS_SCRIPT = [
  'echo "arch=$(uname -m)"',
  'echo "cores=$(nproc)"',
  "awk '/^MemTotal:/ { print \"memoryKb=\" $2 }' /proc/meminfo",
  '. /etc/os-release && echo "osId=$ID" && echo "osVersionId=${VERSION_ID:-}"',
  'if [ -d /run/systemd/system ]; then echo "initSystem=systemd"; else echo "initSystem=other"; fi',
  "python3 -c 'import platform; print(\"pythonVersion=\" + platform.python_version())' 2>/dev/null || true",
  "df -Pk / | awk 'NR == 2 { print \"diskFreeKb=\" $4 }'",
].join("\n");

export function hostFacts(name: string, conn: HostConnection, opts: PrimitiveOptions): command.remote.Command {
  return remoteCommand(name, conn, { create: FACTS_SCRIPT, logging: "none" }, opts);
}
