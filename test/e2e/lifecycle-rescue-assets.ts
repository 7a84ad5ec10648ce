/**
 * The rescue system of the lifecycle end-to-end case, built at test time from Debian packages (cached
 * under `.cache/e2e/rescue-v<N>/`, never committed): static busybox, the e1000 driver of the boot set's
 * own kernel (QEMU's NIC; Debian builds it as a module), and an `/init` that prints a marker with its
 * command line, takes a DHCP lease, POSTs `status=done` to the URL in `xenboot.callback=` (what an
 * installer's or rescue system's last step would do; with busybox `nc`, as Debian 12's static busybox
 * `wget --post-data` crashes), prints the answer's status line and body, and powers off.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BootAssets } from '../../lab/qemu/assets.js';
import { cacheDir } from '../../lab/qemu/assets.js';
import { clearUnfinished, downloadedPackages, isPublished, publishAssetSet, requireDownloaded, runTool as run } from '../../lab/qemu/asset-set.js';
import { cpioCharDevice, cpioDirectory, cpioFile, cpioSymlink, encodeCpio } from '../../lab/qemu/cpio.js';

/** Bump when the contents change, so old caches are rebuilt. */
const RESCUE_ASSET_VERSION = 2;

/** The line the rescue system prints first; tests grep the serial log for it. */
export const RESCUE_MARKER = 'XENBOOT-RESCUE';

const INIT = [
  '#!/bin/busybox sh',
  '/bin/busybox mount -t proc proc /proc',
  '/bin/busybox mount -t sysfs sysfs /sys',
  '/bin/busybox --install -s /bin',
  `echo "${RESCUE_MARKER} cmdline=[$(cat /proc/cmdline)]"`,
  'insmod /lib/e1000.ko',
  'ip link set eth0 up',
  'udhcpc -i eth0 -n -q -t 20 -T 2 -s /bin/udhcpc-script',
  "url=$(sed -n 's/.*xenboot\\.callback=\\([^ ]*\\).*/\\1/p' /proc/cmdline)",
  'if [ -z "$url" ]; then',
  `  echo "${RESCUE_MARKER}-CALLBACK none"`,
  'else',
  // busybox 1.35 (Debian 12, static) wget segfaults on --post-data: the POST is written by hand with nc.
  '  rest=${url#http://}; hostport=${rest%%/*}; path=/${rest#*/}; host=${hostport%:*}; port=${hostport##*:}',
  '  body="status=done&message=rescue+system+up"',
  '  printf "POST %s HTTP/1.0\\r\\nHost: %s\\r\\nContent-Type: application/x-www-form-urlencoded\\r\\nContent-Length: %s\\r\\n\\r\\n%s" "$path" "$hostport" "${#body}" "$body" | nc -w 20 "$host" "$port" > /tmp/answer',
  `  echo "${RESCUE_MARKER}-CALLBACK $(head -n 1 /tmp/answer | tr -d '\\r') $(tail -n 1 /tmp/answer)"`,
  'fi',
  `echo "${RESCUE_MARKER}-END"`,
  'sync',
  'poweroff -f',
  '',
].join('\n');

const UDHCPC_SCRIPT = ['#!/bin/sh', 'case "$1" in bound|renew) ifconfig "$interface" "$ip" netmask "$subnet" up;; esac', ''].join('\n');

/** Builds the rescue initramfs. */
export function buildRescueInitramfs(busybox: Buffer, e1000: Buffer): Buffer {
  return gzipSync(
    encodeCpio([
      cpioDirectory('bin'),
      cpioDirectory('dev'),
      cpioDirectory('lib'),
      cpioDirectory('proc'),
      cpioDirectory('sys'),
      cpioDirectory('tmp'),
      cpioCharDevice('dev/console', 5, 1),
      cpioCharDevice('dev/null', 1, 3),
      cpioFile('bin/busybox', busybox, 0o755),
      cpioSymlink('bin/sh', 'busybox'),
      cpioFile('bin/udhcpc-script', Buffer.from(UDHCPC_SCRIPT), 0o755),
      cpioFile('lib/e1000.ko', e1000),
      cpioFile('init', Buffer.from(INIT), 0o755),
    ]),
    { level: 9 },
  );
}

/** Returns the path of the rescue initramfs, building the set first when the cache lacks it. */
export async function ensureRescueInitrd(boot: BootAssets): Promise<string> {
  const target = join(cacheDir, `rescue-v${RESCUE_ASSET_VERSION}`);
  const initrd = join(target, 'rescue-initrd.img');
  if (isPublished(target)) return initrd;
  clearUnfinished(target);
  const kernelPackage = Object.keys(boot.versions).find((name) => name.startsWith('linux-image-'));
  if (!kernelPackage) throw new Error('the boot set does not name its kernel package');
  const release = kernelPackage.replace(/^linux-image-/, '');
  const work = join(cacheDir, `tmp-rescue-${process.pid}-${Date.now()}`);
  const debs = join(work, 'debs');
  const root = join(work, 'root');
  const out = join(work, 'set');
  for (const dir of [debs, root, out]) mkdirSync(dir, { recursive: true });
  try {
    await run('apt-get', ['download', '-q', `${kernelPackage}=${boot.versions[kernelPackage]}`, 'busybox-static'], debs);
    const versions: Record<string, string> = {};
    const extract = 'deb="$1"; dest="$2"; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" "$@"';
    for (const { path, name, version } of await downloadedPackages(debs)) {
      versions[name] = version;
      const members = name === kernelPackage ? [`./lib/modules/${release}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko`] : ['./bin/busybox'];
      await run('sh', ['-c', extract, 'sh', path, root, ...members], debs);
    }
    requireDownloaded([kernelPackage, 'busybox-static'], versions);
    const e1000 = readFileSync(join(root, 'lib', 'modules', release, 'kernel', 'drivers/net/ethernet/intel/e1000/e1000.ko'));
    writeFileSync(join(out, 'rescue-initrd.img'), buildRescueInitramfs(readFileSync(join(root, 'bin', 'busybox')), e1000));
    publishAssetSet(out, target, versions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return initrd;
}
