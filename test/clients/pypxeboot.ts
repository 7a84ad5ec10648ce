/**
 * A re-implementation of pypxeboot 0.0.3's client side for tests (boot-protocols.md §1.4–§1.6):
 * the TFTP lookup order (`01-<MAC as typed>`, the leased address as 8 hex digits, `default`, any failure
 * moving on to the next name), the line-regex PXELINUX parser with its crash cases (raised as the Python
 * exception pypxeboot would die with), the initrd-then-kernel downloads, and the SXP answer. The TFTP
 * transport is `tftpyGet`, which behaves like tftpy.
 */
import { tftpyGet, type TftpyGetOptions } from '../../lab/clients/tftpy-client.js';

/** A Python exception pypxeboot would die with (the config crashed it). */
export class PythonCrash extends Error {
  constructor(
    readonly pythonType: 'ValueError' | 'NameError' | 'TypeError' | 'KeyError',
    message: string,
  ) {
    super(`${pythonType}: ${message}`);
  }
}

/** A clean pypxeboot failure (it prints the message and exits 1). */
export class PypxebootFailure extends Error {}

/** What pypxeboot extracted from a config for the chosen label. */
export interface PypxebootParse {
  kernel?: string;
  initrd?: string;
  /** APPEND tokens as pypxeboot's dict holds them; a bare token stores `null` under the previous key. */
  args: Map<string, string | null> | null;
  /** Every APPEND key as pypxeboot's dict holds it, initrd= and kernel= included (for the SXP). */
  appendKeys?: Map<string, string | null>;
  localboot: boolean;
}

/** Parses a PXELINUX file exactly as pypxeboot 0.0.3 does (§1.5), for `label` or the DEFAULT. */
export function parseLikePypxeboot(text: string, label?: string): PypxebootParse {
  let defaultLabel: string | undefined;
  const labels = new Map<string, { kernel?: string; append?: string; localboot?: boolean }>();
  let current: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    let m: RegExpExecArray | null;
    // Python re.match: anchored at the start, case-insensitive; `(.+)$` takes everything after one space.
    if ((m = /^default (.+)$/i.exec(line))) defaultLabel = m[1]!;
    else if ((m = /^label (.+)$/i.exec(line))) {
      current = m[1]!;
      labels.set(current, {});
    } else if ((m = /^kernel (.+)$/i.exec(line)) && current !== undefined) labels.get(current)!.kernel = m[1]!;
    else if ((m = /^append (.+)$/i.exec(line)) && current !== undefined) labels.get(current)!.append = m[1]!;
    else if ((m = /^localboot (.*)$/i.exec(line)) && current !== undefined) labels.get(current)!.localboot = true;
  }
  const chosen = label ?? defaultLabel;
  if (chosen === undefined) throw new PypxebootFailure('No default label');
  const entry = labels.get(chosen);
  if (!entry) throw new PypxebootFailure(`label "${chosen}" was not found`);
  if (entry.localboot) return { localboot: true, args: null };
  if (entry.append === undefined) throw new PythonCrash('TypeError', "argument of type 'NoneType' is not iterable");
  const args = new Map<string, string | null>();
  let key: string | undefined;
  for (const token of entry.append.split(/\s+/).filter((t) => t !== '')) {
    let value: string | null;
    if (token.includes('=')) {
      const parts = token.split('=');
      if (parts.length !== 2) throw new PythonCrash('ValueError', 'too many values to unpack');
      key = parts[0]!;
      value = parts[1]!;
    } else {
      if (key === undefined) throw new PythonCrash('NameError', "name 'k' is not defined");
      value = null;
    }
    args.set(key, value);
  }
  const result: PypxebootParse = { args, localboot: false, appendKeys: new Map(args) };
  const initrd = args.get('initrd');
  if (initrd) result.initrd = initrd;
  args.delete('initrd');
  args.delete('kernel');
  if (entry.kernel !== undefined) result.kernel = entry.kernel;
  return result;
}

/** The args string pypxeboot writes: dict order lost, bare keys for `None` and empty values. */
export function argsText(args: Map<string, string | null>): string {
  return [...args].map(([k, v]) => (v === null || v === '' ? k : `${k}=${v}`)).join(' ');
}

/**
 * The `(args '…')` part exactly as pypxeboot builds it: written when APPEND held any token (initrd= and
 * kernel= included), each remaining `key[=value] `, then `sxp[0:-1]` to drop the last space, which
 * drops the opening quote instead when no argument remained: `(args ')`.
 */
export function argsSxp(appendKeys: Map<string, string | null>): string {
  if (appendKeys.size === 0) return '';
  let sxp = "(args '";
  for (const [key, value] of appendKeys) {
    if (key === 'kernel' || key === 'initrd') continue;
    sxp += key + (value ? `=${value}` : '') + ' ';
  }
  return `${sxp.slice(0, -1)}')`;
}

/** One pypxeboot run against a TFTP server. */
export interface PypxebootRun {
  /** Every name requested, in order, with whether it was found. */
  requests: Array<{ name: string; found: boolean }>;
  config: string;
  parse: PypxebootParse;
  kernel: Buffer;
  ramdisk?: Buffer;
  /** `linux (kernel …)(ramdisk …)(args '…')` as pypxeboot prints it. */
  sxp: string;
}

/**
 * Runs pypxeboot's boot sequence: config lookup in its order, parse, initrd then kernel. `macAsTyped` is
 * the `mac=` value from the Xen config (its case is kept); `leasedIp` is the domU's DHCP address.
 */
export async function runPypxeboot(macAsTyped: string, leasedIp: string, tftp: TftpyGetOptions): Promise<PypxebootRun> {
  if (!/^([\da-f]{2}:){5}[\da-f]{2}$/i.test(macAsTyped)) throw new PypxebootFailure('Invalid MAC address');
  const hex = leasedIp.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('').toUpperCase();
  const names = [`pxelinux.cfg/01-${macAsTyped.replace(/:/g, '-')}`, `pxelinux.cfg/${hex}`, 'pxelinux.cfg/default'];
  const requests: PypxebootRun['requests'] = [];
  let config: string | undefined;
  for (const name of names) {
    try {
      config = (await tftpyGet(name, tftp)).toString('utf8');
      requests.push({ name, found: true });
      break;
    } catch {
      // pypxeboot: any exception during a transfer counts as "not found".
      requests.push({ name, found: false });
    }
  }
  if (config === undefined) throw new PypxebootFailure('Could not find a valid boot configuration file on the tftp server');
  const parse = parseLikePypxeboot(config);
  let ramdisk: Buffer | undefined;
  if (parse.initrd !== undefined) {
    ramdisk = await tftpyGet(parse.initrd, tftp).catch(() => {
      throw new PypxebootFailure(`Could not retrieve initrd file ${parse.initrd}`);
    });
    requests.push({ name: parse.initrd, found: true });
  }
  if (parse.kernel === undefined) throw new PythonCrash('KeyError', "'kernel'");
  const kernel = await tftpyGet(parse.kernel, tftp).catch(() => {
    throw new PypxebootFailure(`Could not retrieve initrd file ${parse.kernel}`);
  });
  requests.push({ name: parse.kernel, found: true });
  const base = (p: string) => p.split('/').pop()!;
  let sxp = `linux (kernel /var/lib/xen/${base(parse.kernel)})`;
  if (parse.initrd !== undefined) sxp += `(ramdisk /var/lib/xen/${base(parse.initrd)})`;
  if (parse.appendKeys) sxp += argsSxp(parse.appendKeys);
  const run: PypxebootRun = { requests, config, parse, kernel, sxp };
  if (ramdisk) run.ramdisk = ramdisk;
  return run;
}
