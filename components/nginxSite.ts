/**
 * NginxSite: a server block in front of one or more WSGI services. The site file is written beside
 * the live one, checked with `nginx -t`, and only then activated and reloaded: an invalid site never
 * replaces a working one, and `up` fails with nginx's own message.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  intRangeRule,
  Listener,
  NginxSiteArgs as SiteSpec,
  NginxSiteSettings,
  NginxUpstreamArgs,
  resolveNginxSite,
  throwIfInvalid,
  urlPathRule,
} from "./config";
import { ConfigFileComponent } from "./configFile";
import { Host } from "./host";
import { shellQuote as q } from "./quote";
import { contentHash } from "./release/archive";
import { asRoot, ownerId, probeDeleteScript, probeScript, probeStdin, remoteCommand, tagged, withTokens } from "./remote";
import { renderNginxSite } from "./render";
import { WsgiService } from "./wsgiService";

/** A WSGI service, or a listener (with load-balancing weights) anywhere nginx can reach. */
export type NginxUpstreamInput = WsgiService | Listener | NginxUpstreamArgs;

export interface NginxSiteArgs extends Omit<SiteSpec, "upstreams"> {
  /** The host nginx runs on (it must install the `nginx` package). */
  readonly host: Host;
  /** Where requests go: services on this host, or listeners of services elsewhere. */
  readonly upstreams: readonly NginxUpstreamInput[];
  /**
   * Remove the distribution's default site (`sites-enabled/default`), which otherwise answers every
   * request that names no other site.
   * @default true
   */
  readonly removeDefaultSite?: boolean;
  /**
   * Path `up` requests through nginx on the host after every change: it returns only once this answers
   * 2xx or 3xx (an app whose `/` is not a page sets its own, e.g. `/healthz`). When it does not, the
   * apps behind the site go back to the releases they replaced, and `up` fails with their log lines.
   * @default "/"
   */
  readonly healthPath?: string;
  /**
   * Seconds `up` waits for that answer before it fails. An app that answers 500 for 3 s without a break
   * fails it at once (nginx's own 502 or 504, a server still starting, is waited through). @default 60
   */
  readonly healthTimeoutSecs?: number;
}

function isService(u: NginxUpstreamInput): u is WsgiService {
  return pulumi.Resource.isInstance(u as pulumi.Resource) && "listener" in u;
}

export class NginxSite extends ConfigFileComponent {
  /** Settings resolved with every default filled in (upstreams, TLS, limits). */
  declare readonly settings: NginxSiteSettings;
  /** The rendered site. */
  declare readonly config: string;
  /** `/etc/nginx/sites-available/<name>`. */
  declare readonly configPath: string;
  /** Done when nginx serves the current site. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: NginxSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    const { host, upstreams, removeDefaultSite, healthPath = "/", healthTimeoutSecs = 60, ...spec } = args;
    const services = upstreams.filter(isService);
    const resolve = () => {
      throwIfInvalid([urlPathRule("healthPath", healthPath), intRangeRule("healthTimeoutSecs", healthTimeoutSecs, 1, 3600)], "NginxSite");
      const settings = resolveNginxSite({ ...spec, upstreams: upstreams.map((u) => (isService(u) ? u.listener : u)) });
      return { settings, text: renderNginxSite(settings), path: `/etc/nginx/sites-available/${settings.name}` };
    };
    super("flaskstack:index:NginxSite", name, { host, package: "nginx", resolve }, opts);
    const conn = host.connection;
    const s = this.settings;
    const enabled = `/etc/nginx/sites-enabled/${s.name}`;
    const reload = "nginx -t -q && if [ -d /run/systemd/system ]; then systemctl reload-or-restart nginx; else nginx -s reload; fi";

    const before: pulumi.Resource[] = [host.packagesReady, ...services.map((svc) => svc.ready)];
    if (removeDefaultSite ?? true) {
      before.push(
        remoteCommand(
          `${name}-no-default-site`,
          conn,
          { create: asRoot(conn, "rm -f /etc/nginx/sites-enabled/default"), logging: "stderr" },
          { parent: this, dependsOn: [host.packagesReady] },
        ),
      );
    }

    const site = this.writeConfig(
      `${name}-site`,
      {
        verify: `ln -sfn ${q(this.configPath)} ${q(enabled)} && nginx -t`,
        onVerifyFailure: `[ -e ${q(`${this.configPath}.flaskstack-prev`)} ] || rm -f ${q(enabled)}`,
        afterDelete: `rm -f ${q(enabled)}; ${reload}`,
      },
      before,
    );

    // The token shows in the preview that the site changed and nginx reloads.
    // The site file's write nonce goes on stdin: nginx reloads after every write of the file.
    const reloadCommand = withTokens(tagged(conn, { kind: "nginx", site: s.name }, { site: contentHash(this.config) }), asRoot(conn, reload));
    const reloaded = remoteCommand(
      `${name}-reload`,
      conn,
      { create: reloadCommand, update: reloadCommand, stdin: site.stdout, logging: "stderr" },
      { parent: this, dependsOn: [site] },
    );

    // After any change to the site or a service behind it, `up` waits until the site answers. The
    // services' revisions go on stdin (secret when an environment is).
    const tls = s.tls !== null && s.tls.redirectHttp;
    const releases = services.map((svc) => svc.liveRelease);
    const probeOwner = ownerId(this, `${name}-probe`);
    const probe = withTokens(
      tagged(
        conn,
        { kind: "step", what: `site probe of ${s.name}: \`up\` returns once ${healthPath} answers 2xx or 3xx through nginx` },
        { site: contentHash(this.config), health: healthPath },
      ),
      probeOwner.apply((owner) =>
        asRoot(
          conn,
          probeScript({
            scheme: tls ? "https" : "http",
            port: tls ? s.listenTls : s.listen,
            hostHeader: s.serverNames.find((n) => n !== "_" && !n.includes("*") && !n.startsWith("~")) ?? "localhost",
            path: healthPath,
            timeoutSecs: healthTimeoutSecs,
            errorLog: s.errorLog,
            releases,
            owner,
          }),
        ),
      ),
    );
    this.ready = remoteCommand(
      `${name}-probe`,
      conn,
      {
        create: probe,
        update: probe,
        ...(releases.length ? { delete: probeOwner.apply((owner) => asRoot(conn, probeDeleteScript(releases, owner))) } : {}),
        stdin: pulumi
          .all([site.stdout, ...services.map((svc) => svc.revision)])
          .apply(([written, ...r]) => probeStdin([`site ${written}`, ...r.map((x) => `service ${x}`)])),
        logging: "stdoutAndStderr",
      },
      { parent: this, dependsOn: [reloaded] },
    );
    this.registerOutputs({ config: this.config, configPath: this.configPath });
  }
}
