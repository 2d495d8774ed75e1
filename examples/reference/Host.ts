import * as pulumi from "@pulumi/pulumi";
import { Host, packagesFor } from "flaskstack";

const config = new pulumi.Config();

// A Debian 12 cloud VM. The login user has passwordless sudo (so `sudo` defaults to true), and the
// key stays a secret in state and previews. Every package the stack needs is one apt transaction.
const host = new Host("web-1", {
  address: "203.0.113.10",
  user: "deploy",
  privateKey: config.requireSecret("sshPrivateKey"),
  packages: packagesFor({ nginx: true, supervisor: true, uwsgiFromApt: true }),
});

export const facts = host.facts; // { arch: "x86_64", cores: 2, memoryMb: 3931, … } after the first up
export const installed = host.packages;
