/**
 * Host: one machine reached over SSH — its connection, the facts gathered from it once, and the
 * Debian packages every component on it needs, installed in one apt transaction.
 */
import * as pulumi from "@pulumi/pulumi";
import { HostFacts, preflightProblems, portRule, rule, safeNameRule, throwIfInvalid, eachRule, ArgumentError } from "./config";
import { PACKAGE_NAME } from "./packages";
import { HostConnection, hostFacts, packageSet } from "./remote";
import { resourceError } from "./errors";

export interface HostArgs {
  /** Address the SSH client connects to (name or IP). */
  readonly address: pulumi.Input<string>;
  /** SSH port. @default 22 */
  readonly port?: pulumi.Input<number>;
  /** Login user. @default "root" */
  readonly user?: string;
  /** OpenSSH or PEM private key. Kept secret in state, previews and command lines. */
  readonly privateKey: pulumi.Input<string>;
  /** Run privileged steps through `sudo -n`. @default true unless `user` is root */
  readonly sudo?: boolean;
  /** Debian packages to install (one apt transaction). See `packagesFor`. @default [] */
  readonly packages?: readonly string[];
  /**
   * Known facts: skips gathering them over SSH. Useful when the first preview should already show
   * the rendered files (gathered facts are unknown until the first `up`).
   * @default gathered once from the host and kept in state
   */
  readonly facts?: HostFacts;
  /**
   * Check the facts (architecture, Python version, free disk, memory, init system) before anything is
   * installed, and fail with every reason the host cannot run the stack.
   * @default true
   */
  readonly preflight?: boolean;
}

export class Host extends pulumi.ComponentResource {
  /** How the remote primitives reach this host. */
  readonly connection: HostConnection;
  /** Architecture, cores, memory, OS and init system. */
  readonly facts: pulumi.Output<HostFacts>;
  /** The package transaction; components that need the packages depend on it. */
  readonly packagesReady: pulumi.Resource;
  /** The package list, sorted. */
  readonly packages: readonly string[];
  /** The SSH login user. */
  readonly user: string;

  constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flaskstack:index:Host", name, {}, opts);
    const user = args.user ?? "root";
    try {
      throwIfInvalid(
        [
          portRule("port", typeof args.port === "number" ? args.port : undefined),
          safeNameRule("user", args.user),
          eachRule("packages", args.packages, (arg, p) =>
            rule(!PACKAGE_NAME.test(p), arg, `\`${arg}\` must be a Debian package name (got ${JSON.stringify(p)})`),
          ),
          rule(args.sudo === false && user !== "root", "sudo", "`sudo` must be true when `user` is not root: flaskstack installs packages and writes /etc"),
        ],
        "Host",
      );
    } catch (e) {
      throw resourceError(e, this);
    }
    this.user = user;
    this.packages = [...new Set(args.packages ?? [])].sort();
    this.connection = {
      ssh: {
        host: args.address,
        port: args.port ?? 22,
        user,
        privateKey: pulumi.secret(args.privateKey),
      },
      sudo: args.sudo ?? user !== "root",
      label: hostLabel(name, user, args.address, args.port),
    };

    const gathered = args.facts ? pulumi.output(args.facts) : hostFacts(`${name}-facts`, this.connection, { parent: this }).stdout.apply(parseHostFacts);
    // Everything that uses the facts (rendered files, the package set) waits for the preflight, so a
    // host that cannot run the stack fails here, before anything on it changes.
    this.facts = gathered.apply((facts) => {
      const problems = args.preflight === false ? [] : preflightProblems(facts);
      if (problems.length > 0) {
        throw new pulumi.ResourceError(`host ${name} cannot run the stack:\n${problems.map((p) => `- ${p}`).join("\n")}`, this);
      }
      return facts;
    });
    this.packagesReady =
      this.packages.length > 0
        ? packageSet(`${name}-packages`, this.connection, this.packages, {
            parent: this,
            gate: this.facts.apply((f) => `${f.arch} python ${f.pythonVersion ?? "none"}`),
          })
        : this;
    this.registerOutputs({ facts: this.facts, packages: this.packages });
  }

  /** Fails at preview when a component needs packages this host does not install. */
  requirePackages(component: pulumi.Resource, needed: readonly string[], what: string): void {
    const missing = needed.filter((p) => !this.packages.includes(p));
    if (missing.length > 0) {
      throw new pulumi.ResourceError(
        `${what} needs the Debian package(s) ${missing.join(", ")} on the host: add them to the Host's \`packages\` ` +
          `(packagesFor() lists what each component needs)`,
        component,
      );
    }
  }
}

/** Parses the `key=value` lines of the facts script. */
export function parseHostFacts(stdout: string): HostFacts {
  const kv = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const num = (k: string): number => {
    const v = Number(kv.get(k));
    if (!Number.isFinite(v)) throw new ArgumentError([{ argument: "facts", message: `host facts lack \`${k}\`: got ${JSON.stringify(stdout)}` }]);
    return v;
  };
  return {
    arch: kv.get("arch") ?? "unknown",
    cores: num("cores"),
    memoryMb: Math.floor(num("memoryKb") / 1024),
    osId: kv.get("osId") ?? "unknown",
    osVersionId: kv.get("osVersionId") ?? "",
    initSystem: kv.get("initSystem") === "systemd" ? "systemd" : "other",
    ...(kv.get("pythonVersion") ? { pythonVersion: kv.get("pythonVersion") } : {}),
    ...(kv.get("diskFreeKb") ? { diskFreeMb: Math.floor(Number(kv.get("diskFreeKb")) / 1024) } : {}),
  };
}

/** `name (user@address:port)`, or the parts of it known while the program runs. */
export function hostLabel(name: string, user: string, address: pulumi.Input<string>, port: pulumi.Input<number> | undefined): string {
  if (typeof address !== "string") return name;
  const p = port === undefined ? 22 : port;
  return `${name} (${user}@${address}${typeof p === "number" ? `:${p}` : ""})`;
}
