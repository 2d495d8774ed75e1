/**
 * systemd unit renderer, with systemd's quoting rules in one place (systemd.syntax(7), systemd.service(5)):
 * words may be double-quoted with C-style escapes (`\\`, `\"`); `%` starts a specifier in every setting
 * (`%%` is a literal %); in ExecStart `$` expands environment variables (`$$` is a literal $).
 */
import { SystemdServiceSettings } from "../config/systemd";
import { MANAGED_HEADER } from "./header";

const BARE = /^[A-Za-z0-9_@+=:,./-]+$/;

function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function specifierEscape(text: string): string {
  return text.replace(/%/g, "%%");
}

/** One ExecStart word: quoted when needed, `%` and `$` escaped. */
export function systemdExecArg(arg: string): string {
  if (/[\x00-\x1f\x7f]/.test(arg)) {
    throw new Error(`cannot write ${JSON.stringify(arg)} in a systemd unit: it contains a control character`);
  }
  const escaped = specifierEscape(arg).replace(/\$/g, "$$$$");
  return BARE.test(arg) ? escaped : quoted(escaped);
}

/** One `Environment="KEY=value"` value (no `$` expansion there, specifiers still apply). */
export function systemdEnvironment(key: string, value: string): string {
  if (/[\x00-\x1f\x7f]/.test(value) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw new Error(`cannot write environment ${key}=${JSON.stringify(value)} in a systemd unit`);
  }
  return quoted(specifierEscape(`${key}=${value}`));
}

/** Render `<name>.service`. */
export function renderSystemdUnit(s: SystemdServiceSettings): string {
  const service: [string, string][] = [
    ["Type", "simple"],
    ["User", s.user],
    ...(s.group === null ? [] : [["Group", s.group] as [string, string]]),
    ...(s.workingDirectory === null ? [] : [["WorkingDirectory", s.workingDirectory] as [string, string]]),
    ...s.environment.map(([k, v]): [string, string] => ["Environment", systemdEnvironment(k, v)]),
    ...(s.runtimeDirectory === null
      ? []
      : ([
          ["RuntimeDirectory", s.runtimeDirectory],
          ["RuntimeDirectoryMode", "0755"],
        ] as [string, string][])),
    ["ExecStart", s.command.map(systemdExecArg).join(" ")],
    ...(s.reloadSignal === null ? [] : [["ExecReload", `/bin/kill -s ${s.reloadSignal.slice(3)} $MAINPID`] as [string, string]]),
    ["KillSignal", s.killSignal],
    ["TimeoutStopSec", String(s.timeoutStopSec)],
    ["Restart", s.restart],
    ["RestartSec", String(s.restartSec)],
    ["NoNewPrivileges", "true"],
  ];
  return [
    MANAGED_HEADER,
    "[Unit]",
    `Description=${specifierEscape(s.description)}`,
    "After=network.target",
    "",
    "[Service]",
    ...service.map(([k, v]) => `${k}=${v}`),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
