import { resolveSandbox, sandboxContainerSpec } from "../../../components/config";

describe("resolveSandbox", () => {
  it("defaults to the project's vm image, its deploy user, a name from the component and free ports", () => {
    expect(resolveSandbox("sandbox", {})).toEqual({
      image: "flaskstack-host:vm",
      user: "deploy",
      containerName: "flaskstack-sandbox-sandbox",
      ports: { ssh: 0, http: 0, https: 0 },
    });
  });

  it.each([
    [{ image: "Bad Image" }, /`image` must be a local image reference/],
    [{ image: "x; rm -rf /" }, /`image`/],
    [{ user: "root;id" }, /`user`/],
    [{ containerName: "-flag" }, /`containerName`/],
    [{ sshPort: 70000 }, /`sshPort`/],
    [{ httpPort: -1 }, /`httpPort`/],
  ])("refuses %j, naming the argument", (args, message) => {
    expect(() => resolveSandbox("sandbox", args)).toThrow(message);
  });
});

describe("sandboxContainerSpec", () => {
  const settings = resolveSandbox("box", { sshPort: 2222 });

  it("runs systemd as PID 1 without --privileged (cgroup v1: the tree read-only)", () => {
    const spec = sandboxContainerSpec(settings, "ssh-ed25519 AAAA k", false);
    expect(spec.capabilities).toEqual({ adds: ["SYS_ADMIN"] });
    expect(spec.securityOpts).toEqual(["seccomp=unconfined", "apparmor=unconfined"]);
    expect(spec.tmpfs).toEqual({ "/run": "", "/run/lock": "" });
    expect(spec.volumes).toEqual([{ hostPath: "/sys/fs/cgroup", containerPath: "/sys/fs/cgroup", readOnly: true }]);
    expect(spec).not.toHaveProperty("cgroupnsMode");
  });

  it("on cgroup v2 shares the host's cgroup namespace, read-write", () => {
    const spec = sandboxContainerSpec(settings, "k", true);
    expect(spec.cgroupnsMode).toBe("host");
    expect(spec.volumes[0].readOnly).toBe(false);
  });

  it("publishes SSH, HTTP and HTTPS on 127.0.0.1 only; a port of 0 is left to Docker", () => {
    expect(sandboxContainerSpec(settings, "k", false).ports).toEqual([
      { internal: 22, ip: "127.0.0.1", external: 2222 },
      { internal: 80, ip: "127.0.0.1" },
      { internal: 443, ip: "127.0.0.1" },
    ]);
  });

  it("puts the public key into the user's authorized_keys before start, and counts as created once sshd is active", () => {
    const spec = sandboxContainerSpec(settings, "ssh-ed25519 AAAA k", false);
    expect(spec.uploads).toEqual([{ file: "/home/deploy/.ssh/authorized_keys", content: "ssh-ed25519 AAAA k", permissions: "0644" }]);
    expect(spec.healthcheck.tests).toEqual(["CMD-SHELL", "systemctl is-active --quiet ssh"]);
    expect(spec.wait).toBe(true);
    expect(spec.image).toBe("flaskstack-host:vm");
    expect(spec.name).toBe("flaskstack-sandbox-box");
  });
});
