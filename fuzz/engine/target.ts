/**
 * What a fuzz target is: a function over bytes that returns for every input the code under test handles
 * as it should (a value, or the clear error the code promises for bad input), and throws for anything
 * else. The target catches the promised errors itself, so whatever escapes `run` is a finding: an
 * unexpected exception (a crash in the server), or a `FuzzInvariantError` from one of the target's checks
 * (a decoded packet that does not encode back to itself, a range outside the file, …).
 */

/** A fuzz target. */
export interface FuzzTarget {
  /** Short name, used on the command line and for corpus and finding folders. */
  name: string;
  /** One line: what is fuzzed and what is checked. */
  description: string;
  /** Longest input tried (bytes). */
  maxLength: number;
  /** Tokens mutations insert: keywords, option names, separators of the format. */
  dictionary: readonly string[];
  /** Starting inputs: real captures, examples from the docs, hand-made cases. */
  seeds(): Buffer[];
  /** Runs the code under test on one input; throws only for a finding. */
  run(data: Buffer): void;
  /**
   * An execution longer than this (ms) is a finding of its own (a super-linear path an attacker can
   * feed). Default 100 ms; the inputs are at most a few KiB, so a linear path takes well under 1 ms.
   */
  slowMs?: number;
  /**
   * Source files whose blocks guide the search (substrings of their file URLs). Default: everything
   * under `src/`.
   */
  coverage?: readonly string[];
}

/** A broken rule of the code under test, found by a target's own check. */
export class FuzzInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzInvariantError';
  }
}

/** Throws `FuzzInvariantError(message)` unless `condition` holds. */
export function check(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new FuzzInvariantError(typeof message === 'string' ? message : message());
}

/** Runs `action`, letting errors of the promised classes pass and rethrowing anything else. */
export function allowing(classes: ReadonlyArray<new (...args: never[]) => Error>, action: () => void): void {
  try {
    action();
  } catch (error) {
    if (classes.some((c) => error instanceof c)) return;
    throw error;
  }
}
