/**
 * How the remote primitives reach a host: the SSH connection handed to every `@pulumi/command`
 * command, whether commands need `sudo`, and the one constructor every remote command goes through.
 *
 * Nothing a command needs travels in the SSH environment: stock sshd (Debian, Ubuntu, Raspberry Pi
 * OS) accepts only `LANG LC_*`, and the official plugin fails a command whose `environment` the server
 * refuses. Values a preview should show travel as comment lines at the top of the command text
 * (`withTokens`), secret ones on stdin; what a script must decide is read from the host itself.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HOST_LABEL, REVIEW_LABEL, ReviewTag, reviewTagValue, TOKEN_TEXT } from "../config/tokens";
import { shellQuote } from "../quote";

export interface HostConnection {
  /** SSH connection for `@pulumi/command`; the private key is a secret. */
  readonly ssh: command.types.input.remote.ConnectionArgs;
  /** Run privileged scripts through `sudo -n` (the login user is not root). */
  readonly sudo: boolean;
  /** How the reports name the host: the Host's name, and `user@address:port` when that is known at preview. */
  readonly label: string;
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

/** The arguments of a remote command, minus what `remoteCommand` sets itself. */
export type RemoteCommandArgs = Omit<command.remote.CommandArgs, "connection" | "environment" | "addPreviousOutputInEnv">;

/**
 * Every command flaskstack runs on a host is made here. The previous run's stdout/stderr are not
 * offered to the host (`addPreviousOutputInEnv: false`): no script decides from them, and a stock
 * sshd refuses them with a warning on every update.
 */
export function remoteCommand(
  name: string,
  conn: HostConnection,
  args: RemoteCommandArgs,
  opts: PrimitiveOptions & { readonly deleteBeforeReplace?: boolean },
): command.remote.Command {
  return new command.remote.Command(
    name,
    { ...args, connection: conn.ssh, addPreviousOutputInEnv: false },
    { parent: opts.parent, dependsOn: opts.dependsOn, deleteBeforeReplace: opts.deleteBeforeReplace },
  );
}

/**
 * `command` with one `# <label>: <value>` comment line per token in front of it. The shell ignores
 * them; they make the command text change when a token does, so the command runs again, and the
 * preview shows which token changed, line by line. Tokens are never secret (secret triggers go on
 * stdin) and never hold a line break.
 */
export function withTokens(tokens: Readonly<Record<string, pulumi.Input<string>>>, command: pulumi.Input<string>): pulumi.Output<string> {
  const labels = Object.keys(tokens).sort();
  return pulumi.all([command, ...labels.map((l) => tokens[l])]).apply(([command, ...values]) => {
    const lines = values.map((v, i) => {
      if (!TOKEN_TEXT.test(v)) throw new Error(`flaskstack: token ${labels[i]} must be one printable line (got ${JSON.stringify(v)})`);
      return `# ${labels[i]}: ${v}\n`;
    });
    return `${lines.join("")}${command}`;
  });
}

/** The tokens plus the review tag that tells the reports what the command is (config/tokens.ts). */
export function tagged(
  conn: HostConnection,
  tag: ReviewTag,
  tokens: Readonly<Record<string, pulumi.Input<string>>> = {},
): Record<string, pulumi.Input<string>> {
  return { ...tokens, [REVIEW_LABEL]: reviewTagValue(tag), [HOST_LABEL]: conn.label };
}
