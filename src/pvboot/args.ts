/**
 * The argument vector `xenboot-pvboot` is called with, as libxl builds it (xen
 * `tools/libs/light/libxl_bootloader.c: make_bootloader_args`) and as xend did
 * (`XendBootloader.py`), boot-protocols.md §1.2:
 *
 *   libxl: [--kernel=K] [--ramdisk=R] [--args=A] [--runas=UID --quiet] --output=FILE
 *          --output-format=simple0 --output-directory=DIR <bootloader_args…> <disk>
 *   xend:  [--kernel=K] [--ramdisk=R] [--args=A] [-q] --output=FIFO <bootloader_args…> <disk>
 *
 * bootloader_args carry `mac=…` (as pypxeboot takes it, also from a vif string such as
 * `mac=00:16:3e:11:22:33,bridge=xenbr0`) and `--server=URL`. Pure: no I/O.
 */
import { parseMac } from '../net/mac.js';

/** Output formats: libxl asks for `simple0`; xend reads SXP. */
export type OutputFormat = 'simple0' | 'simple' | 'sxp';

/** The parsed invocation. */
export interface PvbootArgs {
  mac: string;
  server: string;
  output?: string;
  outputFormat: OutputFormat;
  outputDirectory?: string;
  /** Extra kernel arguments from `--args` (the domU config's `cmdline`/`extra`). */
  extraArgs?: string;
  runas?: number;
  quiet: boolean;
  disk?: string;
  timeoutMs: number;
}

/** A usage error (exit 2). */
export class PvbootUsageError extends Error {}

/** Usage text. */
export const PVBOOT_USAGE = `usage: xenboot-pvboot [--output=FILE] [--output-format=simple0|simple|sxp] [--output-directory=DIR]
                      [--args=ARGS] [--runas=UID] [-q|--quiet] [--timeout=SECONDS]
                      mac=MAC --server=URL [DISK]
Called by xl as bootloader="xenboot-pvboot" with bootloader_args=["mac=MAC", "--server=URL"].
The server may also be given as XENBOOT_URL.`;

/** Finds the MAC in a `mac=…` argument, tolerating a vif string's `,bridge=…` and a trailing comma. */
export function macFromArgument(arg: string): string | null {
  const match = /(?:^|[\s,])mac=([0-9A-Fa-f:.-]+)/.exec(arg);
  return match ? parseMac(match[1]!.replace(/[,.-]+$/, '')) : null;
}

/** Parses argv (without node and script); throws `PvbootUsageError`. */
export function parsePvbootArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): PvbootArgs {
  let mac: string | null = null;
  let server = env.XENBOOT_URL;
  const result: Partial<PvbootArgs> & { quiet: boolean; outputFormat?: OutputFormat } = { quiet: false };
  const positional: string[] = [];
  let timeoutSeconds = 60;
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : '';
    switch (name) {
      case '--output':
        result.output = value;
        break;
      case '--output-format':
        if (value !== 'simple0' && value !== 'simple' && value !== 'sxp') throw new PvbootUsageError(`unknown --output-format ${JSON.stringify(value)} (simple0, simple or sxp)`);
        result.outputFormat = value;
        break;
      case '--output-directory':
        result.outputDirectory = value;
        break;
      case '--kernel':
      case '--ramdisk':
        throw new PvbootUsageError(`${name} is not supported: the kernel and ramdisk come from the xenboot server; remove kernel=/ramdisk= from the domU config`);
      case '--args':
        result.extraArgs = value;
        break;
      case '--runas': {
        if (!/^\d+$/.test(value)) throw new PvbootUsageError(`--runas needs a numeric uid, got ${JSON.stringify(value)}`);
        result.runas = Number(value);
        break;
      }
      case '--server':
        server = value;
        break;
      case '--timeout':
        if (!/^\d+$/.test(value) || Number(value) < 1) throw new PvbootUsageError(`--timeout needs seconds, got ${JSON.stringify(value)}`);
        timeoutSeconds = Number(value);
        break;
      case '-q':
      case '--quiet':
        result.quiet = true;
        break;
      // pypxeboot's own options, accepted so a pypxeboot bootloader_args line keeps working.
      case '--interface':
      case '--label':
      case '--udhcpc':
      case '--pygrub-image':
      case '-v':
      case '--verbose':
        break;
      default:
        if (/(?:^|[\s,])mac=/.test(arg)) {
          mac = macFromArgument(arg);
          if (mac === null) throw new PvbootUsageError(`Invalid MAC address in ${JSON.stringify(arg)}`);
        } else if (arg.startsWith('-')) throw new PvbootUsageError(`unknown option ${arg}`);
        else positional.push(arg);
    }
  }
  if (mac === null) throw new PvbootUsageError('no mac=MAC argument (xl: bootloader_args=["mac=00:16:3e:…", "--server=URL"])');
  if (server === undefined || !/^https?:\/\/[^\s]+$/.test(server)) throw new PvbootUsageError('no --server=http://HOST:PORT (or XENBOOT_URL)');
  if (positional.length > 1) throw new PvbootUsageError(`unexpected arguments: ${positional.slice(0, -1).join(' ')}`);
  const parsed: PvbootArgs = {
    mac,
    server: server.replace(/\/+$/, ''),
    outputFormat: result.outputFormat ?? 'sxp',
    quiet: result.quiet,
    timeoutMs: timeoutSeconds * 1000,
  };
  if (result.output !== undefined) parsed.output = result.output;
  if (result.outputDirectory !== undefined) parsed.outputDirectory = result.outputDirectory;
  if (result.extraArgs !== undefined && result.extraArgs !== '') parsed.extraArgs = result.extraArgs;
  if (result.runas !== undefined) parsed.runas = result.runas;
  if (positional[0] !== undefined) parsed.disk = positional[0];
  return parsed;
}
