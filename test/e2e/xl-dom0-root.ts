/**
 * The initramfs of a real Xen dom0 for the `xl` end-to-end case, and the domU's own initramfs, built at
 * test time from Debian packages (`apt-get download` + `dpkg-deb`, cached under `.cache/e2e/xl-v<N>/`,
 * never committed), in the manner of Xen's own CI (`automation/scripts/qemu-alpine-x86_64.sh` packs an
 * Alpine root with the Xen tools into a dom0 initramfs and starts a guest from it).
 *
 * dom0 holds Debian's Xen 4.17 toolstack (`xen-utils-4.17`, `xen-utils-common` for the hotplug scripts,
 * `xenstore-utils`, their libraries), `bash` and util-linux's `flock` (the hotplug scripts need them),
 * static busybox for the rest,
 * Debian's Node.js 18 (`nodejs` + `libnode108` and libraries) to run the single-file `xenboot-pvboot`,
 * and only the kernel modules a dom0 needs here, from the same Debian kernel package as the boot set:
 * xen-evtchn, xen-gntdev, xen-gntalloc, xen-privcmd, xenfs, xen-netback, xen-blkback, bridge (+ stp,
 * llc), e1000 (QEMU's NIC) and brd (a RAM disk as the domU's `phy:` disk). Its `/init` is `DOM0_INIT`
 * (xl-dom0-init.ts), added per run. `xenboot-pvboot` itself is not in it: dom0 fetches it from xenboot at
 * `/pvboot/xenboot-pvboot`, as an operator's dom0 would.
 *
 * The domU initramfs is static busybox, `xen-netfront.ko` and an `/init` that prints a marker with
 * `/proc/cmdline` on its console (hvc0), takes a DHCP lease on eth0 (its vif MAC) and prints it, then
 * waits; `xl reboot` (SIGTERM to init from the kernel's orderly reboot) makes it reboot.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BootAssets } from '../../lab/qemu/assets.js';
import { cacheDir } from '../../lab/qemu/assets.js';
import { ensureAssetSet, downloadedPackages, isPublished, publishAssetSet, requireDownloaded, runTool as run } from '../../lab/qemu/asset-set.js';
import { cpioCharDevice, cpioDirectory, cpioFile, cpioSymlink, encodeCpio, type CpioEntry } from '../../lab/qemu/cpio.js';
import { DOM0_INIT, DOMU_INIT, DOMU_LEASE_SCRIPT, HTTP_GET } from './xl-dom0-init.js';

/** Bump when the contents change, so old caches are rebuilt. */
const XL_ASSET_VERSION = 3;

/** Debian packages of the dom0 root (libraries named explicitly: the closure of the tools' and node's). */
export const DOM0_PACKAGES = [
  'xen-utils-4.17', 'xen-utils-common', 'xenstore-utils', 'libxenstore4', 'libxenmisc4.17', 'libxencall1', 'libxenevtchn1',
  'libxenforeignmemory1', 'libxengnttab1', 'libxentoollog1', 'libxendevicemodel1', 'libxentoolcore1', 'libxenhypfs1', 'libyajl2',
  'libncurses6', 'libtinfo6', 'libext2fs2', 'liblzma5', 'libuuid1', 'libzstd1', 'zlib1g', 'libc6', 'bash',
  'libgcc-s1', 'libstdc++6', 'libuv1', 'libbrotli1', 'libc-ares2', 'libicu72', 'libnghttp2-14', 'libssl3',
  'busybox-static',
] as const;

/** Node.js 18 packages, pinned to the 18.x version Debian 12 ships (the host may have a newer nodejs). */
const NODE_PACKAGES = ['nodejs', 'libnode108'] as const;

/**
 * Debian builds libnode with some builtins kept outside it, loaded from /usr/share/nodejs at every start
 * (`NODE_SHARED_BUILTIN_*_PATH`: cjs-module-lexer, acorn, acorn-walk, undici): without them node aborts.
 */
const NODE_BUILTIN_PACKAGES = ['node-cjs-module-lexer', 'node-acorn', 'node-undici'] as const;

/** Packages of which dom0 takes single files: the hotplug scripts' `locking.sh` needs `flock` (busybox-static has none). */
const PARTIAL_PACKAGES: Record<string, string[]> = { 'util-linux': ['./usr/bin/flock'] };

/** Kernel modules for dom0, in load order. */
export const DOM0_MODULES = {
  'xen-evtchn': 'drivers/xen/xen-evtchn.ko',
  'xen-gntdev': 'drivers/xen/xen-gntdev.ko',
  'xen-gntalloc': 'drivers/xen/xen-gntalloc.ko',
  'xen-privcmd': 'drivers/xen/xen-privcmd.ko',
  xenfs: 'drivers/xen/xenfs/xenfs.ko',
  'xen-netback': 'drivers/net/xen-netback/xen-netback.ko',
  'xen-blkback': 'drivers/block/xen-blkback/xen-blkback.ko',
  llc: 'net/llc/llc.ko',
  stp: 'net/802/stp.ko',
  bridge: 'net/bridge/bridge.ko',
  e1000: 'drivers/net/ethernet/intel/e1000/e1000.ko',
  brd: 'drivers/block/brd.ko',
} as const;

/** What the cached set holds (the `/init` scripts are added per run: `writeXlInitrds`). */
export interface XlAssets {
  dir: string;
  /** gzip cpio of the dom0 root without `/init`. */
  dom0Root: string;
  /** Static busybox and the domU's xen-netfront.ko. */
  busybox: string;
  netfront: string;
  /** Debian versions (package → version). */
  versions: Record<string, string>;
}

/** Paths in the extracted packages left out of dom0: documentation, headers, HVM firmware, Python (/usr/share/nodejs stays). */
const EXCLUDES = [
  ...['doc', 'man', 'locale', 'info', 'lintian', 'bash-completion', 'gdb', 'bug', 'menu', 'systemtap', 'gcc', 'debianutils', 'xen-utils-common', 'common-licenses', 'python3'].map((d) => `./usr/share/${d}/*`),
  './usr/include/*', './usr/lib/xen-4.17/boot/*', './usr/lib/debug/*', './usr/lib/x86_64-linux-gnu/gconv/*',
  './usr/lib/xen-4.17/lib/python/*', './usr/lib/python3*', './etc/init.d/*', './etc/skel/*', './lib/systemd/*', './usr/lib/systemd/*',
];

/** `sh -c` script: extract package $1 into $2, passing the rest to tar (excludes or member names). */
const EXTRACT = 'deb="$1"; dest="$2"; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" "$@"';

/** The newest 18.x version of `pkg` apt knows. */
async function node18Version(pkg: string): Promise<string> {
  const out = await run('apt-cache', ['madison', pkg], cacheDir, 60_000);
  const version = out.split('\n').map((line) => line.split('|')[1]?.trim()).find((v) => v !== undefined && /^18\./.test(v));
  if (version === undefined) throw new Error(`no Node.js 18 version of ${pkg} in apt's lists (Debian 12 bookworm has 18.x):\n${out}`);
  return version;
}

/** Every file, directory and symlink under `root` as cpio entries, parents first, `/`-relative paths. */
function treeEntries(root: string, prefix = ''): CpioEntry[] {
  const entries: CpioEntry[] = [];
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const path = join(root, rel);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) entries.push(cpioSymlink(rel, readlinkSync(path)));
    else if (stat.isDirectory()) entries.push(cpioDirectory(rel), ...treeEntries(root, rel));
    else if (stat.isFile()) entries.push(cpioFile(rel, readFileSync(path), stat.mode & 0o7777));
  }
  return entries;
}

const BASE_DIRS = ['dev', 'proc', 'sys', 'run', 'tmp', 'var', 'var/run', 'var/lib', 'var/log', 'root', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'usr/local', 'usr/local/bin'];

function dom0Extras(): CpioEntry[] {
  const passwd = [
    'root:x:0:0:root:/root:/bin/sh',
    // libxl's restricted bootloader: uid = this user's uid + domid (libxl_bootloader.c: bootloader_uid,
    // LIBXL_QEMU_USER_RANGE_BASE), as docs/features/qemu-deprivilege.pandoc sets it up.
    'xen-qemuuser-range-base:x:131072:131072::/nonexistent:/usr/sbin/nologin',
    // A named user for LIBXL_BOOTLOADER_USER.
    'xenboot-domu:x:2001:2001::/nonexistent:/usr/sbin/nologin',
    '',
  ].join('\n');
  const group = ['root:x:0:', 'xen-qemuuser-range-base:x:131072:', 'xenboot-domu:x:2001:', ''].join('\n');
  return [
    cpioCharDevice('dev/console', 5, 1),
    cpioCharDevice('dev/null', 1, 3),
    cpioFile('etc/passwd', Buffer.from(passwd)),
    cpioFile('etc/group', Buffer.from(group)),
  ];
}

/** Builds the domU initramfs around static busybox and xen-netfront.ko. */
export function buildDomuInitramfs(busybox: Buffer, netfront: Buffer): Buffer {
  const entries = [
    ...['bin', 'sbin', 'dev', 'proc', 'sys', 'usr', 'usr/bin', 'usr/sbin', 'tmp', 'etc'].map((d) => cpioDirectory(d)),
    cpioCharDevice('dev/console', 5, 1),
    cpioCharDevice('dev/null', 1, 3),
    cpioFile('bin/busybox', busybox, 0o755),
    cpioSymlink('bin/sh', 'busybox'),
    cpioFile('xen-netfront.ko', netfront),
    cpioFile('lease.sh', Buffer.from(DOMU_LEASE_SCRIPT), 0o755),
    cpioFile('init', Buffer.from(DOMU_INIT), 0o755),
  ];
  return gzipSync(encodeCpio(entries), { level: 9 });
}

function setDir(): string {
  return join(cacheDir, `xl-v${XL_ASSET_VERSION}`);
}

function describe(dir: string): XlAssets {
  return {
    dir,
    dom0Root: join(dir, 'dom0-root.cpio.gz'),
    busybox: join(dir, 'busybox'),
    netfront: join(dir, 'xen-netfront.ko'),
    versions: JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')) as Record<string, string>,
  };
}

async function build(boot: BootAssets, target: string): Promise<void> {
  const work = join(cacheDir, `tmp-xl-${process.pid}-${Date.now()}`);
  const debs = join(work, 'debs');
  const root = join(work, 'root');
  const kernelRoot = join(work, 'kernel');
  const out = join(work, 'set');
  for (const d of [debs, root, kernelRoot, out]) mkdirSync(d, { recursive: true });
  try {
    const kernelPackage = Object.keys(boot.versions).find((p) => /^linux-image-\d.*-amd64$/.test(p));
    if (kernelPackage === undefined) throw new Error(`no kernel package in the boot set's versions: ${JSON.stringify(boot.versions)}`);
    const kernelVersion = boot.versions[kernelPackage]!;
    const nodeVersion = await node18Version('nodejs');
    await run('apt-get', ['download', '-q', ...DOM0_PACKAGES, ...NODE_BUILTIN_PACKAGES, ...Object.keys(PARTIAL_PACKAGES), ...NODE_PACKAGES.map((p) => `${p}=${nodeVersion}`), `${kernelPackage}=${kernelVersion}`], debs, 600_000);
    const versions: Record<string, string> = {};
    let kernelDeb = '';
    for (const { path, name, version } of await downloadedPackages(debs)) {
      versions[name] = version;
      if (name === kernelPackage) {
        kernelDeb = path;
        continue;
      }
      const members = PARTIAL_PACKAGES[name];
      if (members !== undefined) {
        await run('sh', ['-c', EXTRACT, 'sh', path, root, ...members], debs);
        continue;
      }
      const excludes = EXCLUDES.map((e) => `--exclude=${e}`);
      await run('sh', ['-c', EXTRACT, 'sh', path, root, ...excludes], debs);
    }
    requireDownloaded([...DOM0_PACKAGES, ...NODE_BUILTIN_PACKAGES, ...Object.keys(PARTIAL_PACKAGES), ...NODE_PACKAGES, kernelPackage], versions);
    const release = kernelPackage.replace(/^linux-image-/, '');
    const modulePaths = [...Object.values(DOM0_MODULES), 'drivers/net/xen-netfront.ko'].map((m) => `./lib/modules/${release}/kernel/${m}`);
    await run('sh', ['-c', EXTRACT, 'sh', kernelDeb, kernelRoot, ...modulePaths], debs);
    const moduleDir = join(root, 'lib', 'modules-e2e');
    mkdirSync(moduleDir, { recursive: true });
    for (const [name, path] of Object.entries(DOM0_MODULES)) {
      writeFileSync(join(moduleDir, `${name}.ko`), readFileSync(join(kernelRoot, 'lib', 'modules', release, 'kernel', path)));
    }
    for (const d of BASE_DIRS) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(out, 'busybox'), readFileSync(join(root, 'bin', 'busybox')));
    const entries = [...treeEntries(root), ...dom0Extras()];
    writeFileSync(join(out, 'dom0-root.cpio.gz'), gzipSync(encodeCpio(entries), { level: 6 }));
    writeFileSync(join(out, 'xen-netfront.ko'), readFileSync(join(kernelRoot, 'lib', 'modules', release, 'kernel', 'drivers/net/xen-netfront.ko')));
    publishAssetSet(out, target, versions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The dom0 and domU initramfs images, built first when the cache does not hold them. Needs `apt-get`
 * (with bookworm's package lists), `dpkg-deb` and `tar`; the boot set gives the kernel package.
 */
export async function ensureXlAssets(boot: BootAssets): Promise<XlAssets> {
  const target = setDir();
  return ensureAssetSet('xl assets', target, () => (isPublished(target) ? describe(target) : null), (dir) => build(boot, dir));
}

/**
 * Writes the two initramfs images into `dir`: dom0's is the cached root followed by a second archive
 * holding `/init` (the kernel unpacks concatenated archives in order), the domU's is built whole.
 */
export function writeXlInitrds(assets: XlAssets, dir: string): { dom0Initrd: string; domuInitrd: string } {
  const dom0Initrd = join(dir, 'dom0-initrd.img');
  const domuInitrd = join(dir, 'domu-initrd.img');
  const init = gzipSync(encodeCpio([cpioFile('init', Buffer.from(DOM0_INIT), 0o755), cpioFile('usr/local/bin/http-get', Buffer.from(HTTP_GET), 0o755)]));
  writeFileSync(dom0Initrd, Buffer.concat([readFileSync(assets.dom0Root), init]));
  writeFileSync(domuInitrd, buildDomuInitramfs(readFileSync(assets.busybox), readFileSync(assets.netfront)));
  return { dom0Initrd, domuInitrd };
}
