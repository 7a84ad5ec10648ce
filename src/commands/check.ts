/**
 * `xenboot check --config FILE`: validates a config without starting anything: the config and its
 * inventory, the templates, the TFTP root's syslinux build, and what pypxeboot would be served.
 */
import { parseArgs } from 'node:util';
import { ExitCode, type Command } from './command.js';
import { loadConfigOrReport } from './config-arg.js';
import { checkBootSide } from './tftproot.js';
import { checkPypxeboot } from './check-pypxeboot.js';
import { TemplateError } from '../boot/templates.js';

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
    const bootOk = checkBootSide(config, io);
    // Every known domU renders as pypxeboot can read it; warnings for the default and file sizes.
    let domusOk = true;
    try {
      domusOk = await checkPypxeboot(config, io);
    } catch (error) {
      // A broken template is already reported; nothing can be rendered with it.
      if (!(error instanceof TemplateError)) throw error;
    }
    return bootOk && domusOk ? ExitCode.Ok : ExitCode.Failure;
  },
};
