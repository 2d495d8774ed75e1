/**
 * Runs Pulumi programs through the Automation API with the project's engine and a local file
 * backend, the way the integration tests and scripts need it.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InlineProgramArgs, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { removeHosts, TestHost } from "../hosts/harness";

const root = path.resolve(__dirname, "..", "..");

/** Which command plugin a stack runs on: the installed one (official when present), or the stand-in. */
export type PluginChoice = "installed" | "stand-in";

/** The plugin home holding the stand-in (scripts/build-engine.sh installs it there). */
export function standInHome(): string {
  return process.env.FLASKSTACK_STANDIN_HOME ?? path.join(root, ".pulumi-home-standin");
}

/** The official plugin binary the scripts install when present: FLASKSTACK_COMMAND_PLUGIN or ../shared. */
export function officialPluginBinary(): string | undefined {
  const p = process.env.FLASKSTACK_COMMAND_PLUGIN ?? path.resolve(root, "..", "shared", "plugins", "command-1.2.1", "pulumi-resource-command");
  return fs.existsSync(p) ? p : undefined;
}

/** What scripts/build-engine.sh installed into the default plugin home. */
export function commandPlugin(home: string = engineEnv().PULUMI_HOME ?? ""): { kind: string; sha256: string } {
  const [kind, sha] = fs.readFileSync(path.join(home, ".flaskstack-command-plugin"), "utf8").trim().split(" ");
  return { kind, sha256: sha };
}

export function sha256(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** The environment scripts/env.sh sets up, for processes started from jest. */
export function engineEnv(plugin: PluginChoice = "installed"): Record<string, string> {
  const state = path.join(root, ".pulumi-state");
  fs.mkdirSync(state, { recursive: true });
  const useSystem = process.env.FLASKSTACK_USE_SYSTEM_PULUMI === "1";
  return {
    PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "flaskstack-local",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "1",
    ...(useSystem
      ? {}
      : {
          PULUMI_HOME: plugin === "stand-in" ? standInHome() : (process.env.PULUMI_HOME ?? path.join(root, ".pulumi-home")),
          PATH: `${path.join(root, "engine", "bin")}:${process.env.PATH}`,
          PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        }),
  };
}

/** A unique stack name, so parallel or leftover runs never share state. */
export function uniqueStackName(prefix: string): string {
  return `${prefix}-${os
    .hostname()
    .replace(/[^a-zA-Z0-9]/g, "")
    .slice(0, 8)}-${Date.now().toString(36)}`;
}

/** Creates an inline-program stack with the given config (values marked secret stay secret). */
export async function inlineStack(
  args: InlineProgramArgs,
  config: Record<string, { value: string; secret?: boolean }> = {},
  plugin: PluginChoice = "installed",
): Promise<Stack> {
  const env = engineEnv(plugin);
  Object.assign(process.env, { PATH: env.PATH ?? process.env.PATH });
  const stack = await LocalWorkspace.createOrSelectStack(args, {
    envVars: env,
    pulumiHome: env.PULUMI_HOME,
    projectSettings: { name: args.projectName, runtime: "nodejs", backend: { url: env.PULUMI_BACKEND_URL } },
  });
  await stack.setAllConfig(config);
  return stack;
}

/** Destroys the stack's resources and removes the stack, ignoring a stack that is already gone. */
export async function destroyAndRemove(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  try {
    await stack.destroy();
  } finally {
    await stack.workspace.removeStack(stack.name).catch(() => undefined);
  }
}

/** The root project (Pulumi.yaml + index.ts) as a stack, run by the engine and language host. */
export async function projectStack(
  stackName: string,
  config: Record<string, { value: string; secret?: boolean }>,
  workDir: string = root,
  plugin: PluginChoice = "installed",
): Promise<Stack> {
  const env = engineEnv(plugin);
  Object.assign(process.env, { PATH: env.PATH ?? process.env.PATH });
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { envVars: env, pulumiHome: env.PULUMI_HOME });
  await stack.setAllConfig(config);
  return stack;
}

/** Stack config for a test host, as the README's stack section documents it. */
export function hostConfig(h: { host: string; sshPort: number; user: string; privateKey: string; httpPort: number }) {
  return {
    host: { value: h.host },
    port: { value: String(h.sshPort) },
    user: { value: h.user },
    privateKey: { value: h.privateKey, secret: true },
    publicHttpPort: { value: String(h.httpPort) },
  };
}

/** Removes the stack's config file from the project (test stacks are throwaway). */
export function removeStackFile(stackName: string, workDir: string = root): void {
  fs.rmSync(path.join(workDir, `Pulumi.${stackName}.yaml`), { force: true });
}

/** An example project's directory (examples/<name>), a Pulumi project of its own. */
export function exampleDir(name: string): string {
  return path.join(root, "examples", name);
}

/**
 * Test teardown: destroys and removes the stack (whatever state it is in), deletes its config file
 * and the given temp directories, and removes the hosts — the hosts even when the rest fails.
 */
export async function tearDown(opts: {
  stack?: Stack;
  stackName: string;
  workDir?: string;
  dirs?: (string | undefined)[];
  hosts: (TestHost | undefined)[];
}): Promise<void> {
  try {
    await opts.stack?.destroy().catch(() => undefined);
    await opts.stack?.workspace.removeStack(opts.stackName).catch(() => undefined);
  } finally {
    removeStackFile(opts.stackName, opts.workDir);
    for (const d of opts.dirs ?? []) if (d) fs.rmSync(d, { recursive: true, force: true });
    const hosts = opts.hosts.filter((h): h is TestHost => h !== undefined);
    if (hosts.length > 0) await removeHosts(hosts);
  }
}
