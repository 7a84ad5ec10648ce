/**
 * Every `xenboot` sub-command, by name.
 */
import { checkCommand } from './check.js';
import type { Command } from './command.js';
import { domuConfigCommand } from './domu-config.js';
import { explainCommand } from './explain.js';
import { hostCommand } from './host.js';
import { pvbootCommand } from './pvboot.js';
import { serveCommand } from './serve.js';
import { tftprootCommand } from './tftproot.js';

/** Sub-command table used by `cli.ts`. */
export const commands: Record<string, Command> = {
  serve: serveCommand,
  check: checkCommand,
  explain: explainCommand,
  host: hostCommand,
  'domu-config': domuConfigCommand,
  tftproot: tftprootCommand,
  pvboot: pvbootCommand,
};
