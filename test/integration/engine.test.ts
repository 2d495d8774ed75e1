/**
 * The foundation end to end: the real Pulumi engine runs `@pulumi/command` against real test hosts
 * (an amd64 "cloud VM" and an emulated arm64 Raspberry Pi), a second `up` changes nothing and opens
 * no SSH connection, and `destroy` runs the delete command.
 */
import * as command from "@pulumi/command";
import { Stack } from "@pulumi/pulumi/automation";
import { HostKind, TestHost, removeHosts, sshExec, startHosts } from "../hosts/harness";
import { commandPlugin, destroyAndRemove, inlineStack, officialPluginBinary, sha256, uniqueStackName } from "./stack";

const MARKER = "/tmp/flaskstack-engine-check";

/** SSH logins the host's sshd has accepted so far. */
async function acceptedLogins(host: TestHost): Promise<number> {
  const r = await sshExec(host, "sudo journalctl -u ssh --no-pager -o cat | grep -c '^Accepted ' || true");
  return Number(r.stdout.trim());
}

describe("the command plugin", () => {
  it("is the official one whenever a binary of it is here (as in CI), else the stand-in", () => {
    const installed = commandPlugin();
    expect(installed.kind).toBe(officialPluginBinary() ? "official" : "stand-in");
    if (installed.kind === "official") expect(installed.sha256).toBe(sha256(officialPluginBinary()!));
  });
});

describe.each<[HostKind, string]>([
  ["vm", "x86_64"],
  ["pi", "aarch64"],
])("the engine against a %s host", (kind, machine) => {
  let host: TestHost;
  let stack: Stack | undefined;

  beforeAll(async () => {
    [host] = await startHosts(kind, 1, { prefix: `engine-${kind}` });
    stack = await inlineStack({
      projectName: "flaskstack-engine-check",
      stackName: uniqueStackName(`engine-${kind}`),
      program: async () => {
        const probe = new command.remote.Command("uname", {
          connection: { host: host.host, port: host.sshPort, user: host.user, privateKey: host.privateKey },
          create: `uname -m | tee ${MARKER}`,
          delete: `rm -f ${MARKER}`,
        });
        return { machine: probe.stdout };
      },
    });
  }, 20 * 60_000);

  afterAll(async () => {
    await destroyAndRemove(stack).catch(() => undefined);
    if (host) await removeHosts([host]);
  }, 5 * 60_000);

  it(
    `runs the remote command on the host (uname -m is ${machine})`,
    async () => {
      const up = await stack!.up();
      expect(up.summary.result).toBe("succeeded");
      expect(up.summary.resourceChanges).toEqual({ create: 2 });
      expect(up.outputs.machine.value.trim()).toBe(machine);
      // Checked independently of Pulumi: the command really ran on the host.
      const onHost = await sshExec(host, `cat ${MARKER}`);
      expect(onHost.stdout.trim()).toBe(machine);
    },
    10 * 60_000,
  );

  it(
    "changes nothing and opens no SSH connection on a second up",
    async () => {
      const before = await acceptedLogins(host);
      const up = await stack!.up();
      const after = await acceptedLogins(host);
      expect(up.summary.resourceChanges).toEqual({ same: 2 });
      // The only login between the two counts is the first count's own.
      expect(after - before).toBe(1);
    },
    10 * 60_000,
  );

  it(
    "keeps Debian's stock sshd environment policy: only LANG and LC_* are accepted",
    async () => {
      const policy = await sshExec(host, "sudo -n sshd -T | grep -i '^acceptenv' | sort");
      expect(policy.stdout.trim().split("\n")).toEqual(["acceptenv LANG", "acceptenv LC_*"]);
    },
    10 * 60_000,
  );

  it(
    "runs the delete command on destroy",
    async () => {
      const result = await stack!.destroy();
      expect(result.summary.resourceChanges).toEqual({ delete: 2 });
      const onHost = await sshExec(host, `test -e ${MARKER} && echo present || echo absent`);
      expect(onHost.stdout.trim()).toBe("absent");
    },
    10 * 60_000,
  );
});
