/**
 * Boot assets for the end-to-end suite and the benchmark, fetched from Debian at test time with
 * `apt-get download` + `dpkg -x` into `.cache/e2e/` (git-ignored, reused across runs): Xen, the Debian
 * dom0 kernel, PXELINUX and its modules, iPXE, OVMF, a GRUB EFI net image with `multiboot2`
 * (boot-protocols.md §4.1), and a tiny busybox initramfs whose `/init` prints a marker line with
 * `/proc/cmdline` to the console and powers off (with Xen's `noreboot`, QEMU then exits by itself).
 *
 * The set is built in a private temporary directory and renamed into place, so two test files preparing
 * it at once cannot see a half-built set.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { repoRoot } from '../xenboot.js';
import { ensureAssetSet, downloadedPackages, isPublished, publishAssetSet, requireDownloaded, runTool as run } from './asset-set.js';
import { cpioCharDevice, cpioDirectory, cpioFile, cpioSymlink, encodeCpio } from './cpio.js';

/** Bump when the layout or the contents of the set change, so old caches are rebuilt. */
const ASSET_VERSION = 2;

/** Where the assets live. */
export const cacheDir = join(repoRoot, '.cache', 'e2e');

/** The line dom0's `/init` prints; tests grep the serial log for it. */
export const DOM0_MARKER = 'XENBOOT-E2E-DOM0';

/** Debian packages the set is extracted from (the kernel package is resolved from linux-image-amd64). */
export const ASSET_PACKAGES = [
  'xen-hypervisor-4.17-amd64',
  'linux-image-amd64',
  'busybox-static',
  'pxelinux',
  'syslinux-common',
  'ipxe',
  'ovmf',
  'grub-efi-amd64-bin',
] as const;

/** GRUB modules built into the EFI net image (multiboot2 for Xen, linux for plain Linux profiles). */
export const GRUB_MODULES = [
  'efinet', 'net', 'tftp', 'http', 'normal', 'configfile', 'multiboot2', 'linux', 'gzio', 'echo', 'serial',
  'terminal', 'test', 'boot', 'chain', 'sleep', 'reboot', 'halt', 'ls', 'cat', 'regexp', 'part_gpt', 'fat',
];

/** Paths of the prepared files. Every file is a plain file name inside `dir`. */
export interface BootAssets {
  dir: string;
  /** PXELINUX NBP and the BIOS COM32 modules it needs for mboot. */
  pxelinux: string;
  ldlinux: string;
  mboot: string;
  libcom32: string;
  libutil: string;
  menu: string;
  /** Xen, gzip (`xen.gz`, for PXELINUX and GRUB) and uncompressed (`xen`, for iPXE, §3.4). */
  xenGz: string;
  xen: string;
  /** The Debian dom0/Linux kernel and the marker initramfs. */
  vmlinuz: string;
  initrd: string;
  /** GRUB x86_64-efi net image with prefix `/grub`. */
  grubEfi: string;
  /** OVMF firmware (read-only code, template of the variable store). */
  ovmfCode: string;
  ovmfVars: string;
  /** iPXE NBPs. */
  undionly: string;
  ipxeEfi: string;
  /** Debian package versions the set was built from. */
  versions: Record<string, string>;
}

const FILES = {
  pxelinux: 'pxelinux.0',
  ldlinux: 'ldlinux.c32',
  mboot: 'mboot.c32',
  libcom32: 'libcom32.c32',
  libutil: 'libutil.c32',
  menu: 'menu.c32',
  xenGz: 'xen.gz',
  xen: 'xen',
  vmlinuz: 'vmlinuz',
  initrd: 'initrd.img',
  grubEfi: 'grubx64.efi',
  ovmfCode: 'OVMF_CODE_4M.fd',
  ovmfVars: 'OVMF_VARS_4M.fd',
  undionly: 'undionly.kpxe',
  ipxeEfi: 'ipxe.efi',
} as const;

function setDir(): string {
  return join(cacheDir, `boot-v${ASSET_VERSION}`);
}

function describe(dir: string): BootAssets {
  const paths = Object.fromEntries(Object.entries(FILES).map(([key, name]) => [key, join(dir, name)])) as Record<keyof typeof FILES, string>;
  const versions = JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')) as Record<string, string>;
  return { dir, ...paths, versions };
}

/** The prepared set if it is complete in the cache, else `null` (nothing is downloaded). */
export function cachedBootAssets(): BootAssets | null {
  const dir = setDir();
  if (!isPublished(dir)) return null;
  if (!Object.values(FILES).every((name) => existsSync(join(dir, name)))) return null;
  return describe(dir);
}

/** The versioned kernel package `linux-image-amd64` depends on (e.g. `linux-image-6.1.0-57-amd64`). */
export async function resolveKernelPackage(): Promise<string> {
  const out = await run('apt-cache', ['depends', 'linux-image-amd64'], repoRoot, 60_000);
  const match = out.match(/Depends:\s*(linux-image-[0-9][^\s]*-amd64)/);
  if (!match?.[1]) throw new Error(`cannot resolve the kernel package of linux-image-amd64 from:\n${out}`);
  return match[1];
}

/** Builds the marker initramfs around a static busybox. */
export function buildInitramfs(busybox: Buffer): Buffer {
  const init = [
    '#!/bin/busybox sh',
    '/bin/busybox mount -t proc proc /proc',
    '/bin/busybox mount -t sysfs sysfs /sys',
    'hv=$(/bin/busybox cat /sys/hypervisor/type 2>/dev/null)',
    `echo "${DOM0_MARKER} hypervisor=\${hv:-none} cmdline=[$(/bin/busybox cat /proc/cmdline)]"`,
    `echo "${DOM0_MARKER}-END"`,
    '/bin/busybox sync',
    '/bin/busybox poweroff -f',
    '',
  ].join('\n');
  const entries = [
    cpioDirectory('bin'),
    cpioDirectory('dev'),
    cpioDirectory('proc'),
    cpioDirectory('sys'),
    cpioCharDevice('dev/console', 5, 1),
    cpioCharDevice('dev/null', 1, 3),
    cpioFile('bin/busybox', busybox, 0o755),
    cpioSymlink('bin/sh', 'busybox'),
    cpioFile('init', Buffer.from(init), 0o755),
  ];
  return gzipSync(encodeCpio(entries), { level: 9 });
}

async function build(target: string): Promise<void> {
  const work = join(cacheDir, `tmp-${process.pid}-${Date.now()}`);
  const debs = join(work, 'debs');
  const root = join(work, 'root');
  const out = join(work, 'set');
  mkdirSync(debs, { recursive: true });
  mkdirSync(root, { recursive: true });
  mkdirSync(out, { recursive: true });
  try {
    const kernelPackage = await resolveKernelPackage();
    const packages = ASSET_PACKAGES.map((p) => (p === 'linux-image-amd64' ? kernelPackage : p));
    await run('apt-get', ['download', '-q', ...packages], debs);
    const versions: Record<string, string> = {};
    for (const { path, name, version } of await downloadedPackages(debs)) {
      versions[name] = version;
      // Only what the boots need; the kernel's modules are not used by the marker initramfs.
      await run('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards --no-anchored --exclude='./lib/modules/*' --exclude='./usr/share/doc/*'`, 'sh', path, root], debs);
    }
    requireDownloaded(packages, versions);

    const copy = (from: string, name: string) => copyFileSync(withinRoot(root, from), join(out, name));
    copy('usr/lib/PXELINUX/pxelinux.0', FILES.pxelinux);
    for (const module of ['ldlinux.c32', 'mboot.c32', 'libcom32.c32', 'libutil.c32', 'menu.c32']) {
      copy(`usr/lib/syslinux/modules/bios/${module}`, module);
    }
    const xenGz = readdirSync(join(root, 'boot')).find((f) => /^xen-.*\.gz$/.test(f));
    const vmlinuz = readdirSync(join(root, 'boot')).find((f) => f.startsWith('vmlinuz-'));
    if (!xenGz || !vmlinuz) throw new Error('xen or vmlinuz missing from the extracted packages');
    copy(`boot/${xenGz}`, FILES.xenGz);
    writeFileSync(join(out, FILES.xen), gunzipSync(readFileSync(join(root, 'boot', xenGz))));
    copy(`boot/${vmlinuz}`, FILES.vmlinuz);
    writeFileSync(join(out, FILES.initrd), buildInitramfs(readFileSync(join(root, 'bin', 'busybox'))));
    copy('usr/share/OVMF/OVMF_CODE_4M.fd', FILES.ovmfCode);
    copy('usr/share/OVMF/OVMF_VARS_4M.fd', FILES.ovmfVars);
    copy('usr/lib/ipxe/undionly.kpxe', FILES.undionly);
    copy('usr/lib/ipxe/ipxe.efi', FILES.ipxeEfi);
    await run(
      'grub-mkimage',
      ['-O', 'x86_64-efi', '-d', join(root, 'usr/lib/grub/x86_64-efi'), '-p', '/grub', '-o', join(out, FILES.grubEfi), ...GRUB_MODULES],
      work,
    );
    publishAssetSet(out, target, versions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The file `path` names inside the extracted tree `root`, following symbolic links as the packaged system
 * would: an absolute link target is taken inside `root`, not on this machine (Debian's
 * `/usr/lib/ipxe/ipxe.efi` is a link to `/boot/ipxe.efi`). At most 16 links are followed.
 */
function withinRoot(root: string, path: string): string {
  let current = path.replace(/^\/+/, '');
  for (let hop = 0; hop < 16; hop += 1) {
    const full = join(root, current);
    if (!lstatSync(full).isSymbolicLink()) return full;
    const target = readlinkSync(full);
    current = target.startsWith('/') ? target.replace(/^\/+/, '') : join(dirname(current), target);
  }
  throw new Error(`${path}: too many symbolic links inside ${root}`);
}

/**
 * Returns the boot asset set, downloading and building it first when the cache does not hold a complete
 * one. Needs `apt-get` (with package lists), `dpkg-deb`, `tar` and `grub-mkimage` (grub-common).
 */
export async function ensureBootAssets(): Promise<BootAssets> {
  return ensureAssetSet('boot assets', setDir(), cachedBootAssets, build);
}
