/**
 * `xenboot explain --mac M [--uuid U] [--arch N] [--ip A] [--user-class iPXE] [--config F] [--json]`:
 * what xenboot would do for one machine, from the config file (and the store it names): host and groups
 * matched and why, the profile (a next-boot action's when one is armed), the DHCP reply fields, and every
 * file the client asks for with what it returns. Nothing is started; the same answer is served by `GET /api/v1/explain`.
 */
import { parseArgs } from 'node:util';
import { explainDepsFor } from '../explain/deps.js';
import { explainMachine, ExplainQueryError, formatExplanation } from '../explain/explain.js';
import { bootServiceFromConfig, contentFileSize } from '../boot-service.js';
import { staticFileHandler } from '../content/static-files.js';
import { TemplateError } from '../boot/templates.js';
import { silentLogger } from '../log.js';
import { openStore } from '../store/open.js';
import { LifecycleService } from '../lifecycle/service.js';
import { ExitCode, type Command } from './command.js';
import { loadConfigOrReport } from './config-arg.js';

/** The `explain` command. */
export const explainCommand: Command = {
  summary: 'show what one machine gets: host, groups, profile, DHCP fields, files and their contents',
  usage: 'xenboot explain --mac MAC [--uuid UUID] [--arch N] [--ip ADDRESS] [--user-class iPXE] [--config FILE] [--no-store] [--json]',
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        mac: { type: 'string' },
        uuid: { type: 'string' },
        arch: { type: 'string' },
        ip: { type: 'string' },
        'user-class': { type: 'string' },
        config: { type: 'string', short: 'c' },
        'no-store': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    if (values.mac === undefined) {
      io.stderr(`usage: ${this.usage}\n`);
      return ExitCode.Usage;
    }
    const arch = values.arch === undefined ? undefined : Number(values.arch);
    if (arch !== undefined && (!Number.isInteger(arch) || arch < 0 || arch > 65535)) {
      io.stderr(`xenboot explain: --arch ${values.arch} is not an option 93 number (0 = BIOS, 7 = EFI x86-64)\n`);
      return ExitCode.Usage;
    }
    const config = await loadConfigOrReport(values.config, io);
    if (config === null) return ExitCode.Usage;
    // The store holds API-managed hosts; without a config file there is no store worth opening.
    const store = values['no-store'] || values.config === undefined ? undefined : await openStore(config.store, silentLogger());
    try {
      const boot = await bootServiceFromConfig(config, store ? { store } : {});
      if (store) {
        // The host's next boot (a one-shot, reinstall or netboot disabled) is part of what it gets.
        const lifecycle = new LifecycleService({
          store: store.lifecycle,
          profile: (name) => boot.provider.current().profile(name),
          isHost: (mac) => boot.provider.current().hostByMac(mac) !== undefined,
          applyOverrides: (overrides) => boot.provider.setOverrides(overrides),
          publicUrl: config.http.publicUrl,
          logger: silentLogger(),
        });
        await lifecycle.start();
      }
      const explanation = await explainMachine(
        {
          mac: values.mac,
          ...(values.uuid !== undefined ? { uuid: values.uuid } : {}),
          ...(arch !== undefined ? { arch } : {}),
          ...(values.ip !== undefined ? { ip: values.ip } : {}),
          ...(values['user-class'] !== undefined ? { userClass: values['user-class'] } : {}),
        },
        explainDepsFor(config, boot, contentFileSize(staticFileHandler(config.tftp.root))),
      );
      io.stdout(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
      return ExitCode.Ok;
    } catch (error) {
      if (error instanceof ExplainQueryError) {
        io.stderr(`xenboot explain: ${error.message}\n`);
        return ExitCode.Usage;
      }
      if (error instanceof TemplateError) {
        io.stderr(`xenboot explain: ${error.message}\n`);
        return ExitCode.Failure;
      }
      throw error;
    } finally {
      await store?.close();
    }
  },
};
