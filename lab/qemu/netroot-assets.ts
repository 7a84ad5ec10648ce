/**
 * The dom0 of the network-root boots (test/e2e/netroot-*.slow.test.ts): Debian's kernel with the
 * initramfs a Debian operator builds for a diskless host, and a static busybox for the root tree the
 * NFS server and the iSCSI target export. Cached under `.cache/e2e/netroot-v<N>` like the boot set.
 *
 * The initramfs is made by this machine's own `mkinitramfs` (initramfs-tools, with the udev and open-iscsi
 * hooks installed) for the Debian kernel's modules, with the configuration a diskless host needs:
 * `MODULES=netboot` (the NIC drivers and the NFS client, docs/profiles.md) plus `sd_mod` for an iSCSI
 * LUN's disk. mkinitramfs only reads modules from `/lib/modules/<version>` and the kernel's config from
 * `/boot/config-<version>`, so it runs in a private mount namespace (`unshare --mount`) where the
 * extracted kernel package is laid over `/usr/lib` and `/boot` with overlayfs: nothing on the host
 * changes, and nothing of the kernel package needs installing.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAssetSet, isPublished, publishAssetSet, runTool } from './asset-set.js';
import { cacheDir } from './assets.js';
import { unpackKernelAndBusybox } from './kernel-package.js';

/** Bump when the layout or the contents of the set change, so old caches are rebuilt. */
const NETROOT_ASSET_VERSION = 1;

/**
 * `initramfs.conf` of the dom0 initramfs: what initramfs-tools documents for a network root. `netboot`
 * takes the base modules (file systems, `nfs`, `nfsv3`, `nfsv4`) and every network driver, and leaves
 * block drivers out.
 */
export const DOM0_INITRAMFS_CONF = ['MODULES=netboot', 'BUSYBOX=auto', 'KEYMAP=n', 'COMPRESS=gzip', 'DEVICE=', 'NFSROOT=auto', 'RUNSIZE=10%', 'FSTYPE=auto', ''].join('\n');

/** Extra modules (`/etc/initramfs-tools/modules`): the SCSI disk driver an iSCSI LUN appears through. */
export const DOM0_INITRAMFS_MODULES = ['sd_mod', ''].join('\n');

/** Paths of the prepared files. */
export interface NetrootAssets {
  dir: string;
  /** Debian's kernel, the same package as the boot set's. */
  vmlinuz: string;
  /** The initramfs mkinitramfs made for it (initramfs-tools + udev + open-iscsi hooks). */
  initrd: string;
  /** A static busybox for the exported root tree. */
  busybox: string;
  /** `uname -r` of the kernel. */
  kernelVersion: string;
  /** Debian package versions the set was built from. */
  versions: Record<string, string>;
}

const FILES = { vmlinuz: 'vmlinuz', initrd: 'initrd.img', busybox: 'busybox', kernelVersion: 'kernel-version' } as const;

function setDir(): string {
  return join(cacheDir, `netroot-v${NETROOT_ASSET_VERSION}`);
}

/** The prepared set if it is complete in the cache, else `null`. */
export function cachedNetrootAssets(): NetrootAssets | null {
  const dir = setDir();
  if (!isPublished(dir) || !Object.values(FILES).every((name) => existsSync(join(dir, name)))) return null;
  return {
    dir,
    vmlinuz: join(dir, FILES.vmlinuz),
    initrd: join(dir, FILES.initrd),
    busybox: join(dir, FILES.busybox),
    kernelVersion: readFileSync(join(dir, FILES.kernelVersion), 'utf8').trim(),
    versions: JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')) as Record<string, string>,
  };
}

/**
 * Runs mkinitramfs for `kernelVersion` with the kernel package extracted at `kernelRoot` laid over
 * `/usr/lib` and `/boot` in a private mount namespace. `scratch` holds overlayfs's work directories.
 */
async function makeInitramfs(kernelRoot: string, kernelVersion: string, confDir: string, output: string, scratch: string): Promise<void> {
  const script = [
    'set -e',
    'mkdir -p "$2/w-lib" "$2/w-boot"',
    // /lib is a symlink to usr/lib on Debian 12; the kernel package ships lib/modules/<version>.
    'mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$1/lib,workdir=$2/w-lib" /usr/lib',
    'mount -t overlay overlay -o "lowerdir=/boot,upperdir=$1/boot,workdir=$2/w-boot" /boot',
    'mkinitramfs -d "$3" -o "$4" "$5"',
  ].join('\n');
  await runTool('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', kernelRoot, scratch, confDir, output, kernelVersion], scratch, 600_000);
}

async function build(target: string): Promise<void> {
  const work = join(cacheDir, `tmp-netroot-${process.pid}-${Date.now()}`);
  const confDir = join(work, 'initramfs-tools');
  const out = join(work, 'set');
  for (const dir of [confDir, out]) mkdirSync(dir, { recursive: true });
  try {
    const { kernelRoot, busyboxRoot, kernelVersion, versions } = await unpackKernelAndBusybox(work);
    writeFileSync(join(confDir, 'initramfs.conf'), DOM0_INITRAMFS_CONF);
    writeFileSync(join(confDir, 'modules'), DOM0_INITRAMFS_MODULES);
    await makeInitramfs(kernelRoot, kernelVersion, confDir, join(out, FILES.initrd), work);

    copyFileSync(join(kernelRoot, 'boot', `vmlinuz-${kernelVersion}`), join(out, FILES.vmlinuz));
    copyFileSync(join(busyboxRoot, 'bin', 'busybox'), join(out, FILES.busybox));
    writeFileSync(join(out, FILES.kernelVersion), `${kernelVersion}\n`);
    publishAssetSet(out, target, versions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Returns the network-root dom0 set, building it first when the cache does not hold a complete one.
 * Needs `apt-get` (with package lists), `dpkg-deb`, `tar`, `depmod` (kmod), `unshare` (util-linux),
 * overlayfs, and initramfs-tools with udev and open-iscsi installed (their hooks go into the initramfs).
 */
export async function ensureNetrootAssets(): Promise<NetrootAssets> {
  return ensureAssetSet('network-root assets', setDir(), cachedNetrootAssets, build);
}
