/**
 * `xenboot tftproot install [--config F] [--source-root DIR]` copies the boot loaders the boot paths
 * need into the TFTP root from Debian's packages (`tftproot/install.ts`: which files, from where, and
 * the manifest of versions and hashes), then checks the result. `xenboot tftproot check` runs only the
 * check (`tftproot/syslinux-check.ts`). This file parses arguments and prints.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTemplates } from '../boot-service.js';
import { TemplateError } from '../boot/templates.js';
import type { Config } from '../config/schema.js';
import { installTftproot } from '../tftproot/install.js';
import { checkSyslinuxRoot, type SyslinuxReport } from '../tftproot/syslinux-check.js';
import { ExitCode, type Command, type CommandIo } from './command.js';
import { loadConfigOrReport } from './config-arg.js';

/** Prints a check report; returns true when it found no problem. */
export function printSyslinuxReport(root: string, report: SyslinuxReport, io: CommandIo): boolean {
  if (report.files.length === 0) {
    io.stdout(`${root}: no pxelinux.0 or .c32 files (PXELINUX boot path not installed)\n`);
    return true;
  }
  if (report.problems.length === 0) {
    io.stdout(`${root}: ${report.files.length} syslinux files from one build${report.banner ? ` (${report.banner})` : ''}\n`);
    return true;
  }
  io.stderr(`${root}: syslinux files do not come from one build${report.banner ? ` (pxelinux.0 is ${report.banner})` : ''}\n`);
  for (const p of report.problems) io.stderr(`  ${p.file}: ${p.message}\n`);
  return false;
}

/** The `tftproot` command. */
export const tftprootCommand: Command = {
  summary: 'install pxelinux.0, the .c32 modules and iPXE into the TFTP root from Debian packages, or check them',
  usage: 'xenboot tftproot install|check [--config FILE] [--source-root DIR]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, 'source-root': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const action = positionals[0];
    if ((action !== 'install' && action !== 'check') || positionals.length > 1) {
      io.stderr(`usage: ${this.usage}\n`);
      return ExitCode.Usage;
    }
    const config = await loadConfigOrReport(values.config, io);
    if (config === null) return ExitCode.Usage;
    const root = config.tftp.root;
    if (action === 'check') return printSyslinuxReport(root, checkSyslinuxRoot(root), io) ? ExitCode.Ok : ExitCode.Failure;

    const outcome = installTftproot(root, resolve(values['source-root'] ?? '/'));
    if (outcome.kind === 'missing') {
      const { packages, paths } = outcome;
      io.stderr(
        `xenboot tftproot: ${packages.join(', ')} ${packages.length === 1 ? 'is' : 'are'} not installed (missing ${paths.join(', ')})\n` +
          `  install them with: apt-get install ${packages.join(' ')}\n`,
      );
      return ExitCode.Failure;
    }
    for (const { target, source } of outcome.copied) io.stdout(`${target} ← ${source}\n`);
    if (outcome.kind === 'version-mismatch') {
      io.stderr(`xenboot tftproot: pxelinux ${outcome.pxelinux} and syslinux-common ${outcome.syslinuxCommon} differ: install the same version of both\n`);
      return ExitCode.Failure;
    }
    return printSyslinuxReport(root, checkSyslinuxRoot(root), io) ? ExitCode.Ok : ExitCode.Failure;
  },
};

/**
 * The boot side of `xenboot check`: the templates compile (built-in and `inventory.templateDir`) and the
 * TFTP root's syslinux files come from one build. Returns true when both hold.
 */
export function checkBootSide(config: Config, io: CommandIo): boolean {
  let ok = true;
  try {
    loadTemplates(config);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    io.stderr(`${error.message}\n`);
    ok = false;
  }
  return printSyslinuxReport(config.tftp.root, checkSyslinuxRoot(config.tftp.root), io) && ok;
}
