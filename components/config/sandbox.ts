/**
 * A local sandbox host: a container of the project's host image (systemd as PID 1, sshd, a sudo user)
 * that the stack itself creates with `@pulumi/docker`, published on 127.0.0.1 only. Pure: arguments →
 * settings → the container's arguments.
 */
import { throwIfInvalid } from "./errors";
import { intRangeRule, safeNameRule } from "./validate";

export interface SandboxArgs {
  /**
   * A local image with systemd and sshd and a passwordless-sudo user (nothing is pulled).
   * @default "flaskstack-host:vm" (the project's `vm` test-host image)
   */
  readonly image?: string;
  /** The image's login user. @default "deploy" */
  readonly user?: string;
  /** Container name. @default `flaskstack-sandbox-<component name>` */
  readonly containerName?: string;
  /** Port on 127.0.0.1 for SSH; 0 lets Docker pick a free one. @default 0 */
  readonly sshPort?: number;
  /** Port on 127.0.0.1 for HTTP; 0 lets Docker pick a free one. @default 0 */
  readonly httpPort?: number;
  /** Port on 127.0.0.1 for HTTPS; 0 lets Docker pick a free one. @default 0 */
  readonly httpsPort?: number;
}

export interface SandboxSettings {
  readonly image: string;
  readonly user: string;
  readonly containerName: string;
  readonly ports: { readonly ssh: number; readonly http: number; readonly https: number };
}

/** Container names Docker accepts, kept to what needs no quoting anywhere. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const IMAGE_REF = /^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;

export function resolveSandbox(name: string, args: SandboxArgs): SandboxSettings {
  const containerName = args.containerName ?? `flaskstack-sandbox-${name}`;
  throwIfInvalid(
    [
      {
        condition: args.image !== undefined && !IMAGE_REF.test(args.image),
        argument: "image",
        message: `\`image\` must be a local image reference such as "flaskstack-host:vm" (got ${JSON.stringify(args.image)})`,
      },
      safeNameRule("user", args.user),
      {
        condition: !CONTAINER_NAME.test(containerName),
        argument: "containerName",
        message: `\`containerName\` must be letters, digits, \`_\`, \`.\` and \`-\`, starting with a letter or digit (got ${JSON.stringify(containerName)})`,
      },
      intRangeRule("sshPort", args.sshPort, 0, 65535),
      intRangeRule("httpPort", args.httpPort, 0, 65535),
      intRangeRule("httpsPort", args.httpsPort, 0, 65535),
    ],
    "LocalSandbox",
  );
  return {
    image: args.image ?? "flaskstack-host:vm",
    user: args.user ?? "deploy",
    containerName,
    ports: { ssh: args.sshPort ?? 0, http: args.httpPort ?? 0, https: args.httpsPort ?? 0 },
  };
}

/** The `@pulumi/docker` Container arguments for the sandbox (field names as the SDK's). */
export interface SandboxContainerSpec<K> {
  readonly name: string;
  readonly image: string;
  readonly hostname: string;
  readonly capabilities: { readonly adds: string[] };
  readonly securityOpts: string[];
  readonly tmpfs: Record<string, string>;
  readonly volumes: { readonly hostPath: string; readonly containerPath: string; readonly readOnly: boolean }[];
  readonly cgroupnsMode?: string;
  readonly ports: { readonly internal: number; readonly external?: number; readonly ip: string }[];
  readonly uploads: { readonly file: string; readonly content: K; readonly permissions: string }[];
  readonly healthcheck: { readonly tests: string[]; readonly interval: string; readonly timeout: string; readonly retries: number };
  readonly wait: boolean;
  readonly waitTimeout: number;
  readonly labels: { readonly label: string; readonly value: string }[];
  readonly mustRun: boolean;
  readonly restart: string;
}

/**
 * systemd as PID 1 without `--privileged`: SYS_ADMIN, no seccomp or AppArmor profile, tmpfs on /run,
 * and the cgroup tree (read-only on cgroup v1; on v2 with the host's cgroup namespace, read-write).
 * The public key goes into the user's authorized_keys before the container starts; the container
 * counts as created once sshd is active (its health check), so the first SSH command finds it ready.
 */
export function sandboxContainerSpec<K>(s: SandboxSettings, authorizedKey: K, cgroupV2: boolean): SandboxContainerSpec<K> {
  const publish = (internal: number, external: number) => ({ internal, ip: "127.0.0.1", ...(external ? { external } : {}) });
  return {
    name: s.containerName,
    image: s.image,
    hostname: s.containerName,
    capabilities: { adds: ["SYS_ADMIN"] },
    securityOpts: ["seccomp=unconfined", "apparmor=unconfined"],
    tmpfs: { "/run": "", "/run/lock": "" },
    volumes: [{ hostPath: "/sys/fs/cgroup", containerPath: "/sys/fs/cgroup", readOnly: !cgroupV2 }],
    ...(cgroupV2 ? { cgroupnsMode: "host" } : {}),
    ports: [publish(22, s.ports.ssh), publish(80, s.ports.http), publish(443, s.ports.https)],
    uploads: [{ file: `/home/${s.user}/.ssh/authorized_keys`, content: authorizedKey, permissions: "0644" }],
    healthcheck: { tests: ["CMD-SHELL", "systemctl is-active --quiet ssh"], interval: "2s", timeout: "5s", retries: 90 },
    wait: true,
    waitTimeout: 180,
    labels: [{ label: "flaskstack.sandbox", value: s.containerName }],
    mustRun: true,
    restart: "unless-stopped",
  };
}
