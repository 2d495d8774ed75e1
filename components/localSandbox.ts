/**
 * LocalSandbox: a local container the stack owns, standing in for a VM — made with `@pulumi/docker`
 * from a local image with systemd and sshd, its SSH, HTTP and HTTPS ports published on 127.0.0.1, and
 * a key pair made for it. `pulumi up` creates it (and waits until sshd is up), `pulumi destroy`
 * removes it. Hand its outputs to a Host:
 *
 *     const box = new LocalSandbox("sandbox", {});
 *     const host = new Host("vm", { address: box.address, port: box.sshPort, user: box.user, privateKey: box.privateKey, … });
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { resolveSandbox, SandboxArgs, SandboxSettings, sandboxContainerSpec } from "./config";
import { resourceError } from "./errors";
import { SshKeyPair } from "./sshKeyPair";

export type LocalSandboxArgs = SandboxArgs;

/** A local container the stack owns, reachable over SSH on 127.0.0.1 like a VM. */
export class LocalSandbox extends pulumi.ComponentResource {
  /** Settings resolved with every default filled in. */
  readonly settings: SandboxSettings;
  /** Where the published ports listen: always `127.0.0.1`. */
  readonly address: string;
  /** SSH's published port on 127.0.0.1 (the one asked for, or the one Docker picked). */
  readonly sshPort: pulumi.Output<number>;
  /** HTTP's published port on 127.0.0.1. */
  readonly httpPort: pulumi.Output<number>;
  /** HTTPS's published port on 127.0.0.1. */
  readonly httpsPort: pulumi.Output<number>;
  /** The login user (passwordless sudo). */
  readonly user: string;
  /** The private key that logs in as `user` (secret). */
  readonly privateKey: pulumi.Output<string>;
  /** The matching OpenSSH public key, in the user's authorized_keys. */
  readonly publicKey: pulumi.Output<string>;
  /** The Docker container's name. */
  readonly containerName: string;

  constructor(name: string, args: LocalSandboxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flaskstack:index:LocalSandbox", name, {}, opts);
    try {
      this.settings = resolveSandbox(name, args);
    } catch (e) {
      throw resourceError(e, this);
    }
    const s = this.settings;
    const key = new SshKeyPair(`${name}-key`, { comment: `flaskstack-sandbox-${name}` }, { parent: this });
    // cgroup v2 (a unified hierarchy) needs the host's cgroup namespace, read-write.
    const cgroupV2 = fs.existsSync("/sys/fs/cgroup/cgroup.controllers");
    const container = new docker.Container(`${name}-container`, sandboxContainerSpec(s, key.publicKey, cgroupV2), { parent: this });
    const published = (internal: number) =>
      container.ports.apply((ports) => {
        const p = (ports ?? []).find((x) => x.internal === internal)?.external;
        if (p === undefined) throw new pulumi.ResourceError(`container ${s.containerName} has no published port for ${internal}`, this);
        return p;
      });
    this.address = "127.0.0.1";
    this.user = s.user;
    this.containerName = s.containerName;
    this.sshPort = published(22);
    this.httpPort = published(80);
    this.httpsPort = published(443);
    this.privateKey = pulumi.secret(key.privateKey);
    this.publicKey = key.publicKey;
    this.registerOutputs({ sshPort: this.sshPort, httpPort: this.httpPort, httpsPort: this.httpsPort, publicKey: this.publicKey, privateKey: this.privateKey });
  }
}
