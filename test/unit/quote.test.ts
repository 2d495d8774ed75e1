import { spawnSync } from "child_process";
import fc from "fast-check";
import { shellCommand, shellQuote } from "../../components/quote";

/** What /bin/sh makes of `printf %s <quoted>`: the bytes printed. */
function shellEcho(quoted: string): string {
  const result = spawnSync("/bin/sh", ["-c", `printf %s ${quoted}`], { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`sh failed: ${result.stderr}`);
  }
  return result.stdout;
}

describe("shellQuote", () => {
  it.each([
    ["plain word", "nginx", "nginx"],
    ["path", "/etc/nginx/sites-available/app", "/etc/nginx/sites-available/app"],
    ["flag with value", "--ini=/etc/app/uwsgi.ini", "'--ini=/etc/app/uwsgi.ini'"],
    ["empty string", "", "''"],
    ["space", "a b", "'a b'"],
    ["single quote", "it's", "'it'\\''s'"],
    ["command substitution", "$(rm -rf /)", "'$(rm -rf /)'"],
    ["backquotes", "`id`", "'`id`'"],
    ["semicolon", "a;b", "'a;b'"],
    ["newline", "a\nb", "'a\nb'"],
    ["glob", "*.py", "'*.py'"],
    ["tilde", "~root", "'~root'"],
    ["assignment-looking word", "A=b", "'A=b'"],
  ])("GIVEN a %s WHEN quoted THEN it is %j", (_what, input, expected) => {
    expect(shellQuote(input)).toBe(expected);
  });

  it("GIVEN a NUL character WHEN quoted THEN it throws, naming the problem", () => {
    expect(() => shellQuote("a\0b")).toThrow("cannot quote an argument containing a NUL character");
  });

  it.each(["", "a b", "it's", "'", "''", "\\", "$HOME", "$(id)", "`id`", "a\nb", "\t", "!", "*", "~", "a=b", "%s", "-n", "ü ☃ 😀"])(
    "GIVEN %j WHEN passed through /bin/sh THEN it comes back exactly",
    (s) => {
      expect(shellEcho(shellQuote(s))).toBe(s);
    },
  );

  it("GIVEN any string without NUL WHEN passed through /bin/sh THEN it comes back exactly (property)", () => {
    fc.assert(
      fc.property(
        fc
          .string({
            unit: fc.oneof(fc.constantFrom(..."'\"\\$`!*?[]{}();&|<>~#% \t\n=-"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
            maxLength: 40,
          })
          .filter((s) => !s.includes("\0")),
        (s) => shellEcho(shellQuote(s)) === s,
      ),
      { numRuns: 200 },
    );
  });
});

describe("shellCommand", () => {
  it("GIVEN an argv WHEN built THEN each argument is quoted and joined with spaces", () => {
    expect(shellCommand(["supervisorctl", "update", "my app", "it's"])).toBe("supervisorctl update 'my app' 'it'\\''s'");
  });

  it("GIVEN an argv WHEN run by /bin/sh THEN the program receives exactly those arguments", () => {
    const argv = ["printf", "%s|", "a b", "$(id)", "it's", "", "x\ny"];
    const result = spawnSync("/bin/sh", ["-c", shellCommand(argv)], { encoding: "utf8" });
    expect(result.stdout).toBe("a b|$(id)|it's||x\ny|");
  });

  it("GIVEN an empty argv WHEN built THEN it throws", () => {
    expect(() => shellCommand([])).toThrow("cannot build a shell command from an empty argument list");
  });
});
