/**
 * `xenboot pvboot install [--dest DIR]`: writes the single-file `xenboot-pvboot` (the esbuild bundle of
 * `src/pvboot/cli.ts`, `npm run build:pvboot`; Node.js 18 or later, no node_modules) to
 * `DIR/xenboot-pvboot` (default `/usr/local/bin`), mode 0755, replacing an older copy atomically, and
 * says where libxl looks for a bootloader: Xen's private bin directory first
 * (`libxl_bootloader.c: libxl__abs_path(gc, bootloader, libxl__private_bindir_path())`), then `PATH`.
 * A dom0 without xenboot fetches the same file from the server at `/pvboot/xenboot-pvboot`.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PVBOOT_URL_PATH, pvbootBundlePath } from '../http/routes/boot.js';
import { ExitCode, type Command } from './command.js';

/** Xen's private bin directories that exist on this machine (Debian's `/usr/lib/xen-<ver>/bin`, upstream's `/usr/libexec/xen/bin`). */
function xenPrivateBinDirs(): string[] {
  const found: string[] = [];
  try {
    for (const name of readdirSync('/usr/lib')) if (/^xen-\d+\.\d+$/.test(name) && existsSync(join('/usr/lib', name, 'bin'))) found.push(join('/usr/lib', name, 'bin'));
  } catch {
    /* no /usr/lib */
  }
  if (existsSync('/usr/libexec/xen/bin')) found.push('/usr/libexec/xen/bin');
  return found;
}

/** The `pvboot` command. */
export const pvbootCommand: Command = {
  summary: 'install the single-file xenboot-pvboot bootloader for xl (pvboot install [--dest DIR])',
  usage: 'xenboot pvboot install [--dest DIR]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, options: { dest: { type: 'string', short: 'd' } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1 || positionals[0] !== 'install') {
      io.stderr(`usage: ${this.usage}\n`);
      return ExitCode.Usage;
    }
    const source = pvbootBundlePath();
    if (source === null) {
      io.stderr('xenboot pvboot: xenboot-pvboot is not built in this installation (run npm run build)\n');
      return ExitCode.Failure;
    }
    const dest = resolve(values.dest ?? '/usr/local/bin');
    const target = join(dest, 'xenboot-pvboot');
    const temporary = join(dest, `.xenboot-pvboot.${process.pid}`);
    const data = readFileSync(source);
    try {
      writeFileSync(temporary, data, { mode: 0o755 });
      renameSync(temporary, target);
    } catch (error) {
      rmSync(temporary, { force: true });
      io.stderr(`xenboot pvboot: cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
      return ExitCode.Failure;
    }
    io.stdout(`${target}: xenboot-pvboot (${data.length} bytes; runs on Node.js 18 or later, nothing else needed)\n`);
    const privateDirs = xenPrivateBinDirs();
    const inPrivate = privateDirs.includes(dest);
    const onPath = (process.env.PATH ?? '').split(':').includes(dest);
    io.stdout(
      `libxl runs bootloader = "xenboot-pvboot" from Xen's private bin directory (${privateDirs.length > 0 ? privateDirs.join(', ') : 'none found here'}), then from PATH; ` +
        (inPrivate || onPath ? `${dest} is ${inPrivate ? "Xen's private bin directory" : 'on PATH'}.\n` : `${dest} is on neither: write bootloader = "${target}".\n`),
    );
    io.stdout(`Other dom0s can fetch the same file from a running xenboot: <http.publicUrl>${PVBOOT_URL_PATH}\n`);
    return ExitCode.Ok;
  },
};
