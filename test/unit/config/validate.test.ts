import {
  absolutePathRule,
  ArgumentError,
  durationRule,
  hostRule,
  intRangeRule,
  ipSourceRule,
  oneOfRule,
  portRule,
  resolveAppContext,
  resolveGunicorn,
  resolveUwsgi,
  Rule,
  safeNameRule,
  serverNameRule,
  sizeRule,
  throwIfInvalid,
  wsgiEntryRule,
  parseWsgiEntry,
} from "../../../components/config";
import { CTX, errorOf } from "../fixtures";

/** The message of a rule that must fail. */
function failing(r: Rule): string {
  expect(r.condition).toBe(true);
  return r.message;
}

describe("validation rules", () => {
  it.each([
    [0, "`port` must be a port number between 1 and 65535 (got 0)"],
    [70000, "`port` must be a port number between 1 and 65535 (got 70000)"],
    [80.5, "`port` must be a port number between 1 and 65535 (got 80.5)"],
    [-1, "`port` must be a port number between 1 and 65535 (got -1)"],
  ])("GIVEN port %p WHEN validated THEN the message is %j", (value, message) => {
    expect(failing(portRule("port", value))).toBe(message);
  });

  it.each([1, 80, 443, 65535, undefined])("GIVEN port %p WHEN validated THEN it passes", (value) => {
    expect(portRule("port", value).condition).toBe(false);
  });

  it("GIVEN processes 0 WHEN validated THEN the message names the range", () => {
    expect(failing(intRangeRule("processes", 0, 1, 1024))).toBe("`processes` must be an integer between 1 and 1024 (got 0)");
  });

  it("GIVEN an unknown enum value WHEN validated THEN the message lists the options", () => {
    expect(failing(oneOfRule<string>("workerClass", "eventlet", ["sync", "gthread", "gevent"]))).toBe(
      '`workerClass` must be one of sync, gthread, gevent (got "eventlet")',
    );
  });

  const NAME = "must be 1 to 32 characters of a-z, 0-9, _ and -, starting with a letter or _";
  it.each([
    ["app;rm", `\`name\` ${NAME}: it contains \`;\` (got "app;rm")`],
    ["$(reboot)", `\`name\` ${NAME}: it contains \`$\` (got "$(reboot)")`],
    ["it's", `\`name\` ${NAME}: it contains a quote \`'\` (got "it's")`],
    ['a"b', `\`name\` ${NAME}: it contains a quote \`"\` (got "a\\"b")`],
    ["a\nb", `\`name\` ${NAME}: it contains a newline (got "a\\nb")`],
    ["my app", `\`name\` ${NAME}: it contains a space (got "my app")`],
    ["App", `\`name\` ${NAME}: it contains \`A\` (got "App")`],
    ["", `\`name\` ${NAME}: it is empty (got "")`],
    ["1app", `\`name\` ${NAME}: it starts with \`1\` (got "1app")`],
    ["a".repeat(33), `\`name\` ${NAME}: it has 33 characters (got "${"a".repeat(33)}")`],
  ])("GIVEN name %j WHEN validated THEN the message is %j", (value, message) => {
    expect(failing(safeNameRule("name", value))).toBe(message);
  });

  it.each(["app", "_svc", "my-app_2", "a".repeat(32)])("GIVEN name %j WHEN validated THEN it passes", (value) => {
    expect(safeNameRule("name", value).condition).toBe(false);
  });

  it.each([
    ["srv/app", '`chdir` must be an absolute path (starting with /) (got "srv/app")'],
    ["/srv/../etc", '`chdir` must not contain `..` (got "/srv/../etc")'],
    ["/srv/my app", '`chdir` must not contain a space (got "/srv/my app")'],
    ["/srv/app\n", '`chdir` must not contain a newline (got "/srv/app\\n")'],
    ["/srv/it's", "`chdir` must not contain a quote `'` (got \"/srv/it's\")"],
    ["/srv/$(id)", '`chdir` must not contain `$` (paths may hold only A-Z, a-z, 0-9 and . _ @ + - /) (got "/srv/$(id)")'],
    ["/srv/a;b", '`chdir` must not contain `;` (paths may hold only A-Z, a-z, 0-9 and . _ @ + - /) (got "/srv/a;b")'],
    ["/srv/100%", '`chdir` must not contain `%` (paths may hold only A-Z, a-z, 0-9 and . _ @ + - /) (got "/srv/100%")'],
  ])("GIVEN path %j WHEN validated THEN the message says which rule is broken", (value, message) => {
    expect(failing(absolutePathRule("chdir", value))).toBe(message);
  });

  it.each(["/", "/srv/app/current", "/srv/app..old/x", "/opt/a.b-c_d@e+f"])("GIVEN path %j WHEN validated THEN it passes", (value) => {
    expect(absolutePathRule("chdir", value).condition).toBe(false);
  });

  const ENTRY = "must be `module:callable` such as `pkg.wsgi:app`, or an app factory such as `manage:create_app()`";
  it.each([
    ["wsgi", `\`entry\` ${ENTRY}: it has no colon (got "wsgi")`],
    ["pkg.wsgi:app ", `\`entry\` ${ENTRY}: it contains a space (got "pkg.wsgi:app ")`],
    ["app:'x'", `\`entry\` ${ENTRY}: it contains a quote \`'\` (got "app:'x'")`],
    ["app:app;id", `\`entry\` ${ENTRY}: it contains \`;\` (got "app:app;id")`],
    ["a:b:c", `\`entry\` ${ENTRY}: it has more than one colon (got "a:b:c")`],
    ["manage:create_app(1)", `\`entry\` ${ENTRY}: a factory is called without arguments, as \`name()\` (got "manage:create_app(1)")`],
    ["1pkg:app", `\`entry\` ${ENTRY}: module and callable must be Python identifiers (got "1pkg:app")`],
  ])("GIVEN entry %j WHEN validated THEN the message is %j", (value, message) => {
    expect(failing(wsgiEntryRule("entry", value))).toBe(message);
  });

  it.each([
    ["pkg.wsgi:app", { module: "pkg.wsgi", callable: "app", factory: false }],
    ["manage:create_app()", { module: "manage", callable: "create_app", factory: true }],
    ["a.b.c:application", { module: "a.b.c", callable: "application", factory: false }],
  ])("GIVEN entry %j WHEN parsed THEN it is accepted as %j", (value, parsed) => {
    expect(wsgiEntryRule("entry", value).condition).toBe(false);
    expect(parseWsgiEntry(value)).toEqual(parsed);
  });

  it.each(["_", "example.com", "*.example.com", ".example.com", "localhost", "192.0.2.1", "2001:db8::1", "xn--bcher-kva.example"])(
    "GIVEN server name %j WHEN validated THEN it passes",
    (value) => {
      expect(serverNameRule("serverNames[0]", value).condition).toBe(false);
    },
  );

  it.each([
    ["exa mple.com", ": it contains a space"],
    ["example.com;", ": it contains `;`"],
    ["~^www\\.", ": it contains `~`"],
    ["-bad.com", ""],
  ])("GIVEN server name %j WHEN validated THEN it fails", (value, tail) => {
    expect(failing(serverNameRule("serverNames[0]", value))).toBe(
      `\`serverNames[0]\` must be a domain name (example.com, *.example.com, .example.com), an IP address or _${tail} (got ${JSON.stringify(value)})`,
    );
  });

  it.each(["10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::1", "all", "0.0.0.0/0"])("GIVEN source %j WHEN validated THEN it passes", (value) => {
    expect(ipSourceRule("allow[0]", value).condition).toBe(false);
  });

  it.each(["10.0.0.0/33", "10.0.0", "example.com", "10.0.0.0/8/1", "2001:db8::/129", "10.0.0.0/ 8"])(
    "GIVEN source %j WHEN validated THEN it fails",
    (value) => {
      expect(failing(ipSourceRule("allow[0]", value))).toBe(
        `\`allow[0]\` must be an IP address, a CIDR range such as 10.0.0.0/8, or all (got ${JSON.stringify(value)})`,
      );
    },
  );

  it.each([
    [sizeRule, "10m", true],
    [sizeRule, "1k", true],
    [sizeRule, "512", true],
    [sizeRule, "1g", true],
    [sizeRule, "10 m", false],
    [sizeRule, "10mb", false],
    [sizeRule, "-1", false],
    [durationRule, "60s", true],
    [durationRule, "500ms", true],
    [durationRule, "1d", true],
    [durationRule, "1h 30m", false],
    [durationRule, "s", false],
  ])("GIVEN %p of %j WHEN validated THEN valid is %p", (ruleFn, value, valid) => {
    expect(ruleFn("x", value).condition).toBe(!valid);
  });

  it.each(["127.0.0.1", "::1", "localhost", "app.internal"])("GIVEN host %j WHEN validated THEN it passes", (value) => {
    expect(hostRule("host", value).condition).toBe(false);
  });

  it("GIVEN a host with a space WHEN validated THEN it fails", () => {
    expect(failing(hostRule("socket.host", "127.0.0.1 "))).toBe('`socket.host` must be an IP address or a host name (got "127.0.0.1 ")');
  });
});

describe("throwIfInvalid", () => {
  it("GIVEN no broken rule WHEN checked THEN it does not throw", () => {
    expect(() => throwIfInvalid([portRule("listen", 80), [], [safeNameRule("name", "app")]])).not.toThrow();
  });

  it("GIVEN one broken rule WHEN checked THEN the error carries the argument and the message alone", () => {
    const error = errorOf(() => throwIfInvalid([portRule("listen", 0), portRule("listenTls", 443)]));
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).argument).toBe("listen");
    expect(error.message).toBe("`listen` must be a port number between 1 and 65535 (got 0)");
  });

  it("GIVEN several broken rules WHEN checked THEN they are all reported together, once", () => {
    const error = errorOf(() => resolveGunicorn({ workers: 0, bind: { kind: "tcp", port: 70000 }, workerClass: "eventlet" as "sync" }, CTX)) as ArgumentError;
    expect(error.problems.map((p) => p.argument)).toEqual(["bind.port", "workers", "workerClass"]);
    expect(error.message).toBe(
      [
        "3 invalid arguments for Gunicorn:",
        "- `bind.port` must be a port number between 1 and 65535 (got 70000)",
        "- `workers` must be an integer between 1 and 1024 (got 0)",
        '- `workerClass` must be one of sync, gthread, gevent (got "eventlet")',
      ].join("\n"),
    );
  });

  it("GIVEN optional arguments left undefined WHEN resolving THEN nothing about them is reported", () => {
    expect(() => resolveUwsgi({ processes: undefined, socket: undefined, stats: undefined }, CTX)).not.toThrow();
  });
});

describe("resolveAppContext", () => {
  it("GIVEN name and entry only WHEN resolved THEN every path is derived from the name", () => {
    expect(resolveAppContext({ name: "shop", entry: "manage:create_app()" })).toEqual({
      name: "shop",
      user: "shop",
      group: "shop",
      baseDir: "/srv/shop",
      appDir: "/srv/shop/current",
      venvDir: "/srv/shop/venv",
      runDir: "/run/shop",
      logDir: "/var/log/shop",
      configDir: "/etc/shop",
      entry: { module: "manage", callable: "create_app", factory: true },
    });
  });

  it("GIVEN user root and a bad name WHEN resolved THEN both are reported", () => {
    const error = errorOf(() => resolveAppContext({ name: "my app", entry: "wsgi", user: "root" })) as ArgumentError;
    expect(error.problems.map((p) => p.argument)).toEqual(["name", "entry", "user"]);
    expect(error.problems[2].message).toBe("`user` must not be root: the app runs as its own unprivileged user");
  });
});
