/**
 * The dom0 kernel's command line for a `xen-dom0` profile: the profile's own arguments, then what the
 * root filesystem needs (boot-protocols.md §2.9), `ip=` and `BOOTIF=`. These are written literally
 * because PXELINUX's IPAPPEND/SYSAPPEND strings land on the last mboot.c32 module (the initrd), never on
 * the dom0 kernel (§2.7).
 */
import { macHyphenated, type Mac } from '../net/mac.js';
import type { XenDom0Profile } from '../inventory/model.js';

/** Raised when a profile cannot be rendered for a machine or boot path. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** What the dom0 arguments depend on besides the profile. */
export interface Dom0ArgsInput {
  mac: Mac;
  ip?: string;
  hostname?: string;
  serverAddress: string;
  /** The profile's `dom0.args`, variables already substituted. */
  profileArgs: string[];
}

/**
 * iSCSI target URI for iPXE `sanhook` (`iscsi:<server>:<protocol>:<port>:<lun>:<iqn>`), or `null`. iPXE
 * reads the LUN field in hexadecimal, in up to four `-`-separated 16-bit groups (`scsi_parse_lun`, as RFC
 * 4173 §5 writes a LUN): LUN 10 is `a`, and a decimal `10` would reach LUN 16.
 */
export function sanhookUri(profile: XenDom0Profile, serverAddress: string): string | null {
  const root = profile.root;
  if (root?.type !== 'iscsi' || root.style !== 'ibft') return null;
  return `iscsi:${root.server ?? serverAddress}::${root.port === 3260 ? '' : root.port}:${root.lun === 0 ? '' : root.lun.toString(16)}:${root.target}`;
}

function rootArgs(profile: XenDom0Profile, serverAddress: string): string[] {
  const root = profile.root;
  if (!root || root.type === 'initramfs') return [];
  if (root.type === 'nfs') {
    const nfsroot = `nfsroot=${root.server ?? serverAddress}:${root.path}${root.options ? `,${root.options}` : ''}`;
    // Debian's kernel has no CONFIG_IP_PNP: its initramfs mounts NFS (boot=nfs); other kernels do it themselves.
    return root.style === 'initramfs' ? ['boot=nfs', 'root=/dev/nfs', nfsroot] : ['root=/dev/nfs', nfsroot];
  }
  if (root.style === 'ibft') return ['ISCSI_AUTO=true'];
  // RFC 4173 §5: root=iscsi:<server>:<protocol>:<port>:<LUN>:<target>, read by Debian open-iscsi's
  // initramfs (scripts/local-top/iscsi: logs in, then mounts the LUN's disk as the root) and by dracut.
  // Unlike iPXE, Debian's script takes the LUN as written and looks for the disk whose udev by-path name
  // ends in it (`…-iscsi-<target>-lun-<n>`, n in decimal): so here the LUN is decimal.
  const args = [`root=iscsi:${root.server ?? serverAddress}::${root.port}:${root.lun}:${root.target}`];
  if (root.initiator !== undefined) args.push(`iscsi_initiator=${root.initiator}`);
  return args;
}

/**
 * True when the iSCSI `root=` goes before the profile's own arguments: a profile naming its own `root=`
 * (a partition of the LUN, `root=UUID=…`) keeps it, since the last `root=` is the one the initramfs mounts,
 * while open-iscsi still logs in from the earlier `root=iscsi:…` (it scans every `root=`).
 */
function iscsiRootFirst(profile: XenDom0Profile, profileArgs: string[]): boolean {
  return profile.root?.type === 'iscsi' && profile.root.style === 'initramfs' && profileArgs.some((a) => a.startsWith('root='));
}

function ipArg(profile: XenDom0Profile, input: Dom0ArgsInput): string | null {
  const kernelNfs = profile.root?.type === 'nfs' && profile.root.style === 'kernel';
  const mode = profile.ip === 'none' && kernelNfs ? 'dhcp' : profile.ip;
  if (mode === 'none') return null;
  if (mode === 'dhcp') return 'ip=dhcp';
  if (input.ip === undefined) throw new RenderError(`profile "${profile.name}" has ip: static but host ${input.mac} has no reserved ip`);
  // ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:<autoconf> (nfsroot.rst)
  return `ip=${input.ip}:${input.serverAddress}:${profile.gateway ?? ''}:${profile.netmask ?? ''}:${input.hostname ?? ''}::off`;
}

/** The complete dom0 argument list, in order: profile args, root, ip, BOOTIF. */
export function dom0Args(profile: XenDom0Profile, input: Dom0ArgsInput): string[] {
  const root = rootArgs(profile, input.serverAddress);
  const args = iscsiRootFirst(profile, input.profileArgs) ? [...root, ...input.profileArgs] : [...input.profileArgs, ...root];
  const ip = ipArg(profile, input);
  if (ip !== null && !args.some((a) => a.startsWith('ip='))) args.push(ip);
  if (profile.bootif && !args.some((a) => a.startsWith('BOOTIF='))) args.push(`BOOTIF=01-${macHyphenated(input.mac)}`);
  return args;
}
