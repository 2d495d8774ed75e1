/**
 * What NginxSite and SupervisorProgram share: settings resolved from the arguments and rendered into
 * one config file, owned by root with mode 0644, on a host that installs the program reading it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { resolvedFor } from "./errors";
import { Host } from "./host";
import { managedFile, ManagedFileSpec } from "./remote";

/** A component's file: its resolved settings, and the text and path rendered from them. */
export interface ResolvedConfigFile {
  readonly settings: unknown;
  readonly text: string;
  readonly path: string;
}

/** Where a component's file goes and how it is made from the component's arguments. */
export interface ConfigFileSource {
  readonly host: Host;
  /** The Debian package of the program that reads the file: the host must install it. */
  readonly package: string;
  /** Resolves (and validates) the component's arguments and renders the file. */
  readonly resolve: () => ResolvedConfigFile;
}

/** What the program reading the file runs on its write and after its removal. */
export type ConfigFileHooks = Pick<ManagedFileSpec, "verify" | "onVerifyFailure" | "afterDelete">;

/** A component whose settings are rendered into one root-owned config file (each component declares its settings' type). */
export abstract class ConfigFileComponent extends pulumi.ComponentResource {
  /** Settings resolved with every default filled in. */
  readonly settings: unknown;
  /** The rendered file. */
  readonly config: string;
  /** Where the file is on the host. */
  readonly configPath: string;
  protected readonly host: Host;

  /** `type` is the component's type token, `flaskstack:index:<Component>`. */
  protected constructor(type: string, name: string, source: ConfigFileSource, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    const file = resolvedFor(this, source.resolve);
    this.host = source.host;
    this.host.requirePackages(this, [source.package], type.slice(type.lastIndexOf(":") + 1));
    this.settings = file.settings;
    this.config = file.text;
    this.configPath = file.path;
  }

  /** Writes `config` to `configPath` once `dependsOn` are done. */
  protected writeConfig(name: string, hooks: ConfigFileHooks, dependsOn: pulumi.Input<pulumi.Resource>[]): command.remote.Command {
    return managedFile(
      name,
      this.host.connection,
      { path: this.configPath, content: this.config, owner: "root", group: "root", mode: "0644", ...hooks },
      { parent: this, dependsOn },
    );
  }
}
