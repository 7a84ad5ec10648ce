/**
 * Every `xenboot` sub-command, by name.
 */
import { checkCommand } from './check.js';
import type { Command } from './command.js';
import { serveCommand } from './serve.js';

/** Sub-command table used by `cli.ts`. */
export const commands: Record<string, Command> = {
  serve: serveCommand,
  check: checkCommand,
};
