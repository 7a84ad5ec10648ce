/**
 * `xenboot tftproot install [--config F] [--source-root DIR]` copies the boot loaders the boot paths
 * need into the TFTP root, from Debian's packages (boot-protocols.md §7): `pxelinux.0`, `lpxelinux.0`
 * (pxelinux), `ldlinux.c32`, `mboot.c32`, `libcom32.c32`, `libutil.c32`, `menu.c32` (syslinux-common) and
 * `undionly.kpxe`, `ipxe.pxe`, `ipxe.efi`, `snponly.efi` (ipxe); it records package versions and hashes
 * in `.xenboot-syslinux.json` and then checks the result. `xenboot tftproot check` runs only the check.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTemplates } from '../boot/service.js';
import { checkSyslinuxRoot, MANIFEST_NAME, sha256, type SyslinuxManifest, type SyslinuxReport } from '../boot/syslinux-check.js';
import { TemplateError } from '../boot/templates.js';
import type { Config } from '../config/schema.js';
import { ExitCode, type Command, type CommandIo } from './command.js';
import { loadConfigOrReport } from './config-arg.js';

/** What is installed, from which package and path (relative to the source root). */
export const TFTPROOT_FILES: ReadonlyArray<{ name: string; pkg: string; path: string; optional?: boolean }> = [
  { name: 'pxelinux.0', pkg: 'pxelinux', path: 'usr/lib/PXELINUX/pxelinux.0' },
  { name: 'lpxelinux.0', pkg: 'pxelinux', path: 'usr/lib/PXELINUX/lpxelinux.0', optional: true },
  { name: 'ldlinux.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/ldlinux.c32' },
  { name: 'mboot.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/mboot.c32' },
  { name: 'libcom32.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/libcom32.c32' },
  { name: 'libutil.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/libutil.c32' },
  { name: 'menu.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/menu.c32', optional: true },
  { name: 'undionly.kpxe', pkg: 'ipxe', path: 'usr/lib/ipxe/undionly.kpxe' },
  { name: 'ipxe.pxe', pkg: 'ipxe', path: 'usr/lib/ipxe/ipxe.pxe', optional: true },
  { name: 'ipxe.efi', pkg: 'ipxe', path: 'usr/lib/ipxe/ipxe.efi' },
  { name: 'snponly.efi', pkg: 'ipxe', path: 'usr/lib/ipxe/snponly.efi', optional: true },
];

function packageVersion(pkg: string): string {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 && result.stdout.trim() !== '' ? result.stdout.trim() : 'unknown';
}

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

    const sourceRoot = resolve(values['source-root'] ?? '/');
    const missing = TFTPROOT_FILES.filter((f) => !f.optional && !existsSync(join(sourceRoot, f.path)));
    if (missing.length > 0) {
      const packages = [...new Set(missing.map((f) => f.pkg))];
      io.stderr(
        `xenboot tftproot: ${packages.join(', ')} ${packages.length === 1 ? 'is' : 'are'} not installed (missing ${missing.map((f) => join(sourceRoot, f.path)).join(', ')})\n` +
          `  install them with: apt-get install ${packages.join(' ')}\n`,
      );
      return ExitCode.Failure;
    }
    mkdirSync(root, { recursive: true });
    const manifest: SyslinuxManifest = { packages: {}, files: {} };
    for (const file of TFTPROOT_FILES) {
      const source = join(sourceRoot, file.path);
      if (!existsSync(source)) continue;
      copyFileSync(source, join(root, file.name));
      manifest.packages[file.pkg] ??= packageVersion(file.pkg);
      if (file.name.endsWith('.0') || file.name.endsWith('.c32')) manifest.files[file.name] = sha256(readFileSync(source));
      io.stdout(`${join(root, file.name)} ← ${source}\n`);
    }
    const versions = ['pxelinux', 'syslinux-common'].map((p) => manifest.packages[p]);
    if (versions[0] !== versions[1]) {
      io.stderr(`xenboot tftproot: pxelinux ${versions[0]} and syslinux-common ${versions[1]} differ: install the same version of both\n`);
      return ExitCode.Failure;
    }
    writeFileSync(join(root, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
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
