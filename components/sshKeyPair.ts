/**
 * SshKeyPair: an ed25519 key pair made once, on the machine that runs Pulumi, and kept in the stack's
 * state (the private key as a secret). A dynamic resource: it needs no plugin, and a second `up` keeps
 * the same key.
 */
import * as pulumi from "@pulumi/pulumi";

interface KeyPairOutputs {
  /** OpenSSH public key line, `ssh-ed25519 AAAA… <comment>`. */
  readonly publicKey: string;
  /** PKCS#8 PEM private key (OpenSSH and the command plugin read it). */
  readonly privateKey: string;
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { comment: string }) {
    // Required inside the function: dynamic providers are serialised with their code.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("crypto") as typeof import("crypto");
    const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
    const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
    const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, (b.length >> 8) & 0xff, b.length & 0xff]), b]);
    const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]);
    const outs: KeyPairOutputs = {
      publicKey: `ssh-ed25519 ${blob.toString("base64")} ${inputs.comment}`,
      privateKey: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    };
    return { id: crypto.createHash("sha256").update(blob).digest("hex").slice(0, 16), outs: { ...inputs, ...outs } };
  },
};

export class SshKeyPair extends pulumi.dynamic.Resource {
  declare readonly publicKey: pulumi.Output<string>;
  declare readonly privateKey: pulumi.Output<string>;

  constructor(name: string, args: { comment: string }, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, publicKey: undefined, privateKey: undefined }, { ...opts, additionalSecretOutputs: ["privateKey"] });
  }
}
