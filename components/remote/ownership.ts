/**
 * Who owns a path on the host. A renamed resource, one moved to another parent, or a
 * create-before-delete replacement is a new resource that writes the same path before the old one's
 * delete runs; without a record of the owner that delete would remove what the new one just wrote.
 * So a resource that creates a shared path claims it (its owner id: the parent component's URN and its
 * own name), and its delete removes the path only while the claim is still its own. A path with no
 * claim (written before claims existed) is removed as before.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { shellQuote as q } from "../quote";

export const OWNERS_DIR = "/var/lib/flaskstack/owners";

/** The claim file of a host path (named by a hash of the path). */
export function claimFile(path: string): string {
  return `${OWNERS_DIR}/${crypto.createHash("sha256").update(path).digest("hex").slice(0, 32)}`;
}

/** The owner id of a resource `name` under `parent`: the parent's URN and the name. */
export function ownerId(parent: pulumi.Resource, name: string): pulumi.Output<string> {
  // The URN's value without the parent as a dependency: depending on a component means waiting for
  // all of its children, this resource among them.
  const urn = new Promise<string>((resolve) => parent.urn.apply((u) => resolve(u)));
  return pulumi.output(urn).apply((u) => `${u}#${name}`);
}

/** Root shell: record `owner` as the owner of `path`. */
export function claimScript(path: string, owner: string): string {
  return `mkdir -p ${OWNERS_DIR} && printf '%s\\n' ${q(owner)} > ${q(claimFile(path))}`;
}

/** Root shell: run `script` (which removes `path`) only while `owner` owns it, then drop the claim. */
export function ifOwnerScript(path: string, owner: string, script: string): string {
  const claim = q(claimFile(path));
  return [
    `if [ ! -e ${claim} ] || [ "$(cat ${claim})" = ${q(owner)} ]; then`,
    script,
    `rm -f ${claim}`,
    `else`,
    `echo ${q(`flaskstack: ${path} now belongs to `)}"$(cat ${claim})"${q(": left in place")} >&2`,
    `fi`,
  ].join("\n");
}
