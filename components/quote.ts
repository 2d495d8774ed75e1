/**
 * THE shell-quoting function of flaskstack. Every command the library runs on a host is built from
 * an argument list with `shellCommand`, never by splicing strings (see STYLE.md, principle 8).
 *
 * POSIX single-quote style: inside '…' a POSIX shell gives every character its literal meaning, so the
 * only character needing care is the single quote itself, written as '\'' (close, escaped quote, reopen).
 */

/** Characters that never need quoting in any POSIX shell word (kept short on purpose: readable output). */
// `=` is left out: `A=b` as a command's first word would be taken as a variable assignment.
const BARE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/**
 * Quote one argument so that a POSIX shell (`sh -c`) passes it through as exactly one word, byte for byte.
 *
 * Returns the argument unchanged when it consists only of characters that are literal in every shell
 * context (`[A-Za-z0-9_@%+:,./-]`), and `'…'` otherwise; the empty string becomes `''`.
 *
 * @throws Error when the argument contains a NUL character: no shell word, argv entry or environment
 *   value can carry one, and silently truncating would run a different command.
 */
export function shellQuote(arg: string): string {
  if (arg.includes("\0")) {
    throw new Error(`cannot quote an argument containing a NUL character for the shell (got ${JSON.stringify(arg)})`);
  }
  if (arg === "") {
    return "''";
  }
  if (BARE_WORD.test(arg)) {
    return arg;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Build one shell command line from an argument vector: each argument quoted by `shellQuote`, joined with
 * single spaces. `shellCommand(["systemctl", "reload", "nginx"])` → `systemctl reload nginx`.
 *
 * @throws Error when `argv` is empty, or an argument contains NUL.
 */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new Error("cannot build a shell command from an empty argument list");
  }
  return argv.map(shellQuote).join(" ");
}
