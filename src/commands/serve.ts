/**
 * `xenboot serve [--config FILE]`: runs DHCP, TFTP and HTTP until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../log.js';
import { startServices } from '../services.js';
import { ExitCode, type Command } from './command.js';
import { loadConfigOrReport } from './config-arg.js';

/** The `serve` command. */
export const serveCommand: Command = {
  summary: 'run the DHCP, TFTP and HTTP services (embedded defaults without --config)',
  usage: 'xenboot serve [--config FILE]',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
    const config = await loadConfigOrReport(values.config, io);
    if (config === null) return ExitCode.Usage;
    const logger = createLogger(config.log);
    const services = await startServices(config, logger);
    for (const e of services.endpoints) logger.info({ protocol: e.protocol, address: e.address, port: e.port }, `${e.protocol} listening`);
    logger.info({ config: config.source ?? '(embedded defaults)' }, 'xenboot started');

    const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
      process.once('SIGINT', () => resolveSignal('SIGINT'));
      process.once('SIGTERM', () => resolveSignal('SIGTERM'));
    });
    logger.info({ signal }, 'stopping');
    await services.close();
    logger.flush();
    return ExitCode.Ok;
  },
};
