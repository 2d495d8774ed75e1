/**
 * All the Debian packages a host needs, installed in one apt transaction. Adding a package changes
 * the list and installs what is missing; apt leaves what is already there alone. Packages are not
 * removed on destroy: other software on the host may need them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { shellCommand } from "../quote";
import { asRoot, HostConnection, PrimitiveOptions, remoteCommand, tagged, withTokens } from "./connection";

/** The install script for a sorted, de-duplicated package list. */
export function aptInstallScript(packages: readonly string[]): string {
  const list = [...new Set(packages)].sort();
  return [
    "set -eu",
    "export DEBIAN_FRONTEND=noninteractive",
    // Wait for another apt (unattended-upgrades on a fresh VM) instead of failing on its lock.
    "apt_opts='-q -o DPkg::Lock::Timeout=300'",
    // Refresh the lists only when a package is missing from them or they were never fetched.
    "update=0",
    `for p in ${shellCommand(list)}; do apt-cache show "$p" >/dev/null 2>&1 || update=1; done`,
    'if [ "$update" = 1 ]; then apt-get $apt_opts update; fi',
    `apt-get $apt_opts install -y --no-install-recommends ${shellCommand(list)}`,
  ].join("\n");
}

export function packageSet(
  name: string,
  conn: HostConnection,
  packages: readonly string[],
  opts: PrimitiveOptions & {
    /** A value that must resolve first (the host's checked facts): its failure stops the install. */
    readonly gate?: pulumi.Input<string>;
  },
): command.remote.Command {
  const script = asRoot(conn, aptInstallScript(packages));
  return remoteCommand(
    name,
    conn,
    {
      // The gate appears in previews as what the packages were checked against.
      create: withTokens(
        tagged(
          conn,
          { kind: "step", what: `apt installs ${packages.join(" ")} (one transaction)` },
          opts.gate === undefined ? {} : { "host facts": opts.gate },
        ),
        script,
      ),
      logging: "stderr",
    },
    opts,
  );
}
