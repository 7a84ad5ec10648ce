/**
 * The root file system a network-root dom0 mounts: a static busybox, a `/sbin/init` that reports what it
 * booted on, and a marker file whose content is made up per run, so it exists only in this tree (and in
 * what is exported from it), never in the kernel or initramfs. Written as a directory (the NFS export) or
 * as an ext4 image made from that directory with `mke2fs -d` (the iSCSI LUN; no loop device, no mount).
 *
 * `/sbin/init` prints, on the console:
 *
 *     XENBOOT-NETROOT-ROOT <source> <type>         the mount behind `/` (from /proc/mounts)
 *     XENBOOT-NETROOT-FILE <content of the marker>
 *     XENBOOT-NETROOT hypervisor=<xen|none> cmdline=[<the kernel command line>]
 *     XENBOOT-NETROOT-END
 *
 * then powers off (with Xen's `noreboot`, QEMU then exits by itself).
 */
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './asset-set.js';

/** The prefix of every line the root's init prints. */
export const NETROOT_MARKER = 'XENBOOT-NETROOT';

/** Where the marker file lives inside the root. */
export const MARKER_FILE = 'etc/xenboot-root-marker';

/** Writes the root tree into `dir` (created), with `busybox` as its only binary and `token` as the marker. */
export function writeRootTree(dir: string, busybox: string, token: string): void {
  for (const sub of ['bin', 'sbin', 'etc', 'dev', 'proc', 'sys', 'run', 'tmp', 'root']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(busybox, join(dir, 'bin', 'busybox'));
  symlinkSync('busybox', join(dir, 'bin', 'sh'));
  writeFileSync(join(dir, MARKER_FILE), `${token}\n`);
  const bb = '/bin/busybox';
  const init = [
    '#!/bin/busybox sh',
    // initramfs-tools moves /proc, /sys, /dev and /run into the new root; mount them when it did not.
    `[ -e /proc/mounts ] || ${bb} mount -t proc proc /proc`,
    `[ -e /sys/kernel ] || ${bb} mount -t sysfs sysfs /sys`,
    `hv=$(${bb} cat /sys/hypervisor/type 2>/dev/null)`,
    `echo "${NETROOT_MARKER}-ROOT $(${bb} awk '$2 == "/" { line = $1 " " $3 } END { print line }' /proc/mounts)"`,
    `echo "${NETROOT_MARKER}-FILE $(${bb} cat /${MARKER_FILE})"`,
    `echo "${NETROOT_MARKER} hypervisor=\${hv:-none} cmdline=[$(${bb} cat /proc/cmdline)]"`,
    `echo "${NETROOT_MARKER}-END"`,
    `${bb} sync`,
    `${bb} poweroff -f`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'sbin', 'init'), init, { mode: 0o755 });
}

/** Makes an ext4 image of `sizeMiB` at `image` holding the tree at `dir`, labelled `label`. */
export async function makeExt4Image(dir: string, image: string, label: string, sizeMiB = 32): Promise<void> {
  await runTool('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', label, '-d', dir, image, `${sizeMiB}M`], dir, 60_000);
}

/** What the root's init printed, or `null` for each line it never reached. */
export interface RootReport {
  /** `<source> <type>` of the mount behind `/`. */
  root: string | null;
  /** The marker file's content. */
  file: string | null;
  hypervisor: string | null;
  cmdline: string | null;
  /** The init got to its last line. */
  ended: boolean;
}

/** Reads the root init's lines from a serial log. */
export function readRootReport(serial: string): RootReport {
  const line = (tag: string) => serial.match(new RegExp(`${tag} ([^\\r\\n]*)`))?.[1]?.trim() ?? null;
  const main = serial.match(new RegExp(`${NETROOT_MARKER} hypervisor=(\\S+) cmdline=\\[([^\\]\\r\\n]*)\\]`));
  return {
    root: line(`${NETROOT_MARKER}-ROOT`),
    file: line(`${NETROOT_MARKER}-FILE`),
    hypervisor: main?.[1] ?? null,
    cmdline: main?.[2] ?? null,
    ended: serial.includes(`${NETROOT_MARKER}-END`),
  };
}
