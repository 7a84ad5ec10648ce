/**
 * `xenboot serve [--config FILE]`: runs DHCP, TFTP and HTTP until SIGINT/SIGTERM. SIGHUP re-reads the
 * config file and the templates and applies its inventory (profiles, hosts, groups, unknown-machine
 * policy) and the templates at once; a file or template with problems is reported and the running
 * inventory and templates are kept. Other sections need a restart.
 */
import { parseArgs } from 'node:util';
import { TemplateError } from '../boot/templates.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../log.js';
import { startServices, type Services } from '../services.js';
import { ExitCode, type Command } from './command.js';
import { loadConfigOrReport } from './config-arg.js';

/**
 * Re-reads the config file and the templates and applies both; never throws (a bad file or template is
 * logged and ignored).
 */
export async function reloadConfig(config: Config, services: Services, logger: Logger): Promise<boolean> {
  if (config.source === null) {
    logger.warn('SIGHUP: running on embedded defaults, no config file to reload');
    return false;
  }
  try {
    const next = await loadConfigFile(config.source);
    const restartNeeded = services.reloadInventory(next);
    const inv = next.inventory;
    logger.info({ config: config.source, profiles: inv.profiles.length, hosts: inv.hosts.length, groups: inv.groups.length, templateDir: inv.templateDir ?? null }, 'inventory reloaded');
    if (restartNeeded.length > 0) logger.warn({ sections: restartNeeded }, 'changes outside the inventory take effect after a restart');
    return true;
  } catch (error) {
    if (error instanceof ConfigError) logger.error({ problems: error.problems }, `SIGHUP: config not reloaded, the running inventory is kept\n${error.message}`);
    else if (error instanceof TemplateError) logger.error({ problem: error.message }, `SIGHUP: config not reloaded, the running inventory and templates are kept\n${error.message}`);
    else logger.error({ err: error }, 'SIGHUP: config not reloaded');
    return false;
  }
}

/** The `serve` command. */
export const serveCommand: Command = {
  summary: 'run the DHCP, TFTP and HTTP services (embedded defaults without --config; SIGHUP reloads the inventory and templates)',
  usage: 'xenboot serve [--config FILE]',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
    const config = await loadConfigOrReport(values.config, io);
    if (config === null) return ExitCode.Usage;
    const logger = createLogger(config.log);
    const services = await startServices(config, logger);
    for (const e of services.endpoints) logger.info({ protocol: e.protocol, address: e.address, port: e.port }, `${e.protocol} listening`);
    logger.info({ config: config.source ?? '(embedded defaults)' }, 'xenboot started');

    // Reloads are serialised: a second SIGHUP during a reload runs after it.
    let reloading = Promise.resolve();
    const onHangup = () => {
      reloading = reloading.then(() => reloadConfig(config, services, logger).then(() => undefined));
    };
    process.on('SIGHUP', onHangup);
    const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
      process.once('SIGINT', () => resolveSignal('SIGINT'));
      process.once('SIGTERM', () => resolveSignal('SIGTERM'));
    });
    process.off('SIGHUP', onHangup);
    logger.info({ signal }, 'stopping');
    await reloading;
    await services.close();
    logger.flush();
    return ExitCode.Ok;
  },
};
