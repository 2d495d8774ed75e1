/**
 * Errors raised by resolve + validate. Pure: the component layer turns an `ArgumentError` into a
 * `pulumi.ResourceError(error.message, this)` so the message points at the resource.
 */

/** One row of a validation table: `condition` true means the argument is invalid. */
export interface Rule {
  /** True when the argument is invalid (aws-cdk style: the table lists what must not happen). */
  readonly condition: boolean;
  /** Dotted name of the argument the rule is about, e.g. `socket.port` or `upstreams[1]`. */
  readonly argument: string;
  /** Full sentence naming the argument in backticks, e.g. "`processes` must be … (got 0)". */
  readonly message: string;
}

/** A broken rule: which argument, and what is wrong with it. */
export interface Problem {
  readonly argument: string;
  readonly message: string;
}

/**
 * Invalid arguments. `message` lists every problem found (one per line after the first when there are
 * several), so a user fixes them all in one round instead of one per `pulumi up`.
 */
export class ArgumentError extends Error {
  /** The argument of the first problem (the only one, usually). */
  readonly argument: string;
  /** Every problem found, in table order. */
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], subject?: string) {
    if (problems.length === 0) {
      throw new Error("ArgumentError needs at least one problem");
    }
    super(formatProblems(problems, subject));
    this.name = "ArgumentError";
    this.argument = problems[0].argument;
    this.problems = problems;
  }
}

function formatProblems(problems: readonly Problem[], subject: string | undefined): string {
  if (problems.length === 1) {
    return problems[0].message;
  }
  const head = subject === undefined ? `${problems.length} invalid arguments:` : `${problems.length} invalid arguments for ${subject}:`;
  return [head, ...problems.map((p) => `- ${p.message}`)].join("\n");
}

/**
 * Check a whole table of rules and throw once, listing every broken rule.
 *
 * @param subject what is being validated, used in the header of a multi-problem message
 *   (e.g. "uWSGI service"). Optional.
 * @throws ArgumentError when any rule's `condition` is true.
 */
export function throwIfInvalid(rules: readonly (Rule | readonly Rule[])[], subject?: string): void {
  const problems: Problem[] = [];
  for (const rule of rules.flat()) {
    if (rule.condition) {
      problems.push({ argument: rule.argument, message: rule.message });
    }
  }
  if (problems.length > 0) {
    throw new ArgumentError(problems, subject);
  }
}
