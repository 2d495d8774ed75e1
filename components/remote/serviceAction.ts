/**
 * A one-shot action on a host service (reload, signal, restart) that runs when, and only when,
 * one of its triggers changed — typically the text of the file the service reads. In a preview it
 * appears as its own resource being replaced, so the reader sees which services will reload.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ReviewTag } from "../config/tokens";
import { asRoot, HostConnection, PrimitiveOptions, remoteCommand, tagged, withTokens } from "./connection";

export interface ServiceActionSpec {
  /** Script run as root (already built with the quoting function). */
  readonly script: string;
  /** Values whose change runs the action again (e.g. the rendered config text). */
  readonly triggers: pulumi.Input<unknown>[];
  /** What the action is, for the review report. */
  readonly tag?: ReviewTag;
}

export function serviceAction(name: string, conn: HostConnection, spec: ServiceActionSpec, opts: PrimitiveOptions): command.remote.Command {
  return remoteCommand(
    name,
    conn,
    {
      create: spec.tag === undefined ? asRoot(conn, spec.script) : withTokens(tagged(conn, spec.tag), asRoot(conn, spec.script)),
      triggers: spec.triggers,
      logging: "stdoutAndStderr",
    },
    opts,
  );
}
