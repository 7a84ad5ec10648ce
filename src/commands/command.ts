/**
 * The shape of a CLI sub-command. Commands return an exit code; only `cli.ts` exits the process.
 */

/** Where a command writes; tests pass buffers, the CLI passes the process streams. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A sub-command of `xenboot`. */
export interface Command {
  /** One line for `xenboot help`. */
  summary: string;
  /** Usage text shown by `xenboot help NAME` and on argument errors. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[], io: CommandIo): Promise<number>;
}

/** Exit codes shared by all commands. */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  /** Bad config or bad arguments. */
  Usage: 2,
} as const;
