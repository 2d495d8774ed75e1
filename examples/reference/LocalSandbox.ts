import * as pulumi from "@pulumi/pulumi";
import { Host, LocalSandbox, packagesFor } from "flaskstack";

// A host the stack makes itself: a local container of the project's `vm` image (systemd + sshd),
// its SSH, HTTP and HTTPS ports on 127.0.0.1, with a key pair made for it. `pulumi destroy` removes it.
const box = new LocalSandbox("sandbox", { httpPort: 8080 });
const host = new Host("box", {
  address: box.address,
  port: box.sshPort,
  user: box.user,
  privateKey: box.privateKey,
  packages: packagesFor({ uwsgiFromApt: true }),
});

export const url = pulumi.interpolate`http://${box.address}:${box.httpPort}/`;
export const ssh = pulumi.interpolate`ssh -p ${box.sshPort} ${box.user}@${box.address}`;
export const packages = host.packages;
