/**
 * How the remote primitives reach a host: the SSH connection handed to every `@pulumi/command`
 * command, and whether commands need `sudo`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { shellQuote } from "../quote";

export interface HostConnection {
  /** SSH connection for `@pulumi/command`; the private key is a secret. */
  readonly ssh: command.types.input.remote.ConnectionArgs;
  /** Run privileged scripts through `sudo -n` (the login user is not root). */
  readonly sudo: boolean;
}

/** A POSIX shell script, run as root on the host (the script travels as one quoted argument). */
export function asRoot(conn: HostConnection, script: string): string {
  return `${conn.sudo ? "sudo -n " : ""}sh -c ${shellQuote(script)}`;
}

/** What every primitive is given: the component that owns it, and what it must wait for. */
export interface PrimitiveOptions {
  readonly parent: pulumi.Resource;
  readonly dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource>;
}
