/**
 * `xenboot check --config FILE`: validates a config without starting anything.
 */
import { parseArgs } from 'node:util';
import { ExitCode, type Command } from './command.js';
import { loadConfigOrReport } from './config-arg.js';
import { checkBootSide } from './tftproot.js';

/** The `check` command. */
export const checkCommand: Command = {
  summary: 'validate a config file and report every problem, without starting anything',
  usage: 'xenboot check --config FILE',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
    if (values.config === undefined) {
      io.stderr(`usage: ${this.usage}\n`);
      return ExitCode.Usage;
    }
    const config = await loadConfigOrReport(values.config, io);
    if (config === null) return ExitCode.Usage;
    io.stdout(`${config.source}: ok\n`);
    // Templates compile, and pxelinux.0 and the .c32 modules in the TFTP root come from one syslinux build.
    return checkBootSide(config, io) ? ExitCode.Ok : ExitCode.Failure;
  },
};
