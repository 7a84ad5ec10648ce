/**
 * A guest that runs this machine's own programs under Debian's kernel: QEMU (TCG, no NIC) boots the
 * Debian kernel with a small initramfs that loads the modules a test asks for, mounts this machine's root
 * file system read-only over virtio-9p with a tmpfs laid over it (overlayfs: the guest may write anywhere,
 * nothing reaches this machine, and nothing of it is hidden, wherever the checkout lies), and runs a shell
 * script chrooted into it (with fresh `/proc`, `/sys`, `/dev` and a tmpfs `/run`). It is for what this machine's kernel cannot do itself but
 * Debian's can, such as 802.1Q VLAN interfaces: the same `node`, xenboot build, `ip`, `udhcpc` and
 * `dhclient` then run on a kernel that has them. The script's output and the kernel's come back on the
 * serial console. The kernel and modules are cached under `.cache/e2e/kernel-guest-v<N>` like the other
 * asset sets; the guest is killed by PID at a hard time limit.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAssetSet, isPublished, publishAssetSet } from './asset-set.js';
import { cacheDir } from './assets.js';
import { unpackKernelAndBusybox } from './kernel-package.js';
import { cpioCharDevice, cpioDirectory, cpioFile, encodeCpio, type CpioEntry } from './cpio.js';
import { startProcess } from '../process.js';
import { awaitQemu } from './qemu.js';

/** Bump when the layout or the contents of the set change, so old caches are rebuilt. */
const KERNEL_GUEST_ASSET_VERSION = 2;

/**
 * Modules every guest needs: the virtio PCI transport, the 9p file system the host's root comes over, and
 * overlayfs, which lays a tmpfs over it.
 */
const BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'] as const;

/** Modules the set carries besides the base ones (with their dependencies): VLANs, veth pairs, bridges. */
export const KERNEL_GUEST_MODULES = ['8021q', 'veth', 'bridge'] as const;

/** Paths of the prepared files. */
export interface KernelGuestAssets {
  dir: string;
  vmlinuz: string;
  /** A static busybox, the initramfs's only program. */
  busybox: string;
  /** `modules/<name>.ko` of every module, and `modules/order`: their names in a loadable order. */
  modulesDir: string;
  kernelVersion: string;
  versions: Record<string, string>;
}

function setDir(): string {
  return join(cacheDir, `kernel-guest-v${KERNEL_GUEST_ASSET_VERSION}`);
}

/** The prepared set if it is complete in the cache, else `null`. */
export function cachedKernelGuestAssets(): KernelGuestAssets | null {
  const dir = setDir();
  if (!isPublished(dir)) return null;
  return {
    dir,
    vmlinuz: join(dir, 'vmlinuz'),
    busybox: join(dir, 'busybox'),
    modulesDir: join(dir, 'modules'),
    kernelVersion: readFileSync(join(dir, 'kernel-version'), 'utf8').trim(),
    versions: JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')) as Record<string, string>,
  };
}

/**
 * The modules of `wanted` and everything they depend on, dependencies first, as paths relative to the
 * module directory. `modulesDep` is the text of `modules.dep` (`path: dependency …`, as `depmod` writes
 * it; modprobe loads a module's dependency list from its end).
 */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const dependencies = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon);
    dependencies.set(path, line.slice(colon + 1).split(/\s+/).filter(Boolean));
    byName.set(path.slice(path.lastIndexOf('/') + 1).replace(/\.ko(\.\w+)?$/, ''), path);
  }
  const order: string[] = [];
  const visit = (path: string, depth: number) => {
    if (order.includes(path)) return;
    if (depth > 64) throw new Error(`modules.dep: dependency chain of ${path} is too deep`);
    for (const dependency of [...(dependencies.get(path) ?? [])].reverse()) visit(dependency, depth + 1);
    order.push(path);
  };
  for (const name of wanted) {
    const path = byName.get(name);
    if (!path) throw new Error(`modules.dep names no module ${name}`);
    visit(path, 0);
  }
  return order;
}

async function build(target: string): Promise<void> {
  const work = join(cacheDir, `tmp-kernel-guest-${process.pid}-${Date.now()}`);
  const out = join(work, 'set');
  mkdirSync(join(out, 'modules'), { recursive: true });
  try {
    const { kernelRoot, busyboxRoot, kernelVersion, versions } = await unpackKernelAndBusybox(work);
    const moduleDir = join(kernelRoot, 'lib', 'modules', kernelVersion);
    const order = moduleLoadOrder(readFileSync(join(moduleDir, 'modules.dep'), 'utf8'), [...BASE_MODULES, ...KERNEL_GUEST_MODULES]);
    const names: string[] = [];
    for (const path of order) {
      if (!path.endsWith('.ko')) throw new Error(`${path}: a compressed module, which busybox insmod cannot load`);
      const name = path.slice(path.lastIndexOf('/') + 1, -'.ko'.length);
      copyFileSync(join(moduleDir, path), join(out, 'modules', `${name}.ko`));
      names.push(name);
    }
    writeFileSync(join(out, 'modules', 'order'), names.join('\n') + '\n');
    copyFileSync(join(kernelRoot, 'boot', `vmlinuz-${kernelVersion}`), join(out, 'vmlinuz'));
    copyFileSync(join(busyboxRoot, 'bin', 'busybox'), join(out, 'busybox'));
    writeFileSync(join(out, 'kernel-version'), `${kernelVersion}\n`);
    publishAssetSet(out, target, versions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Returns the kernel-guest set, building it first when the cache does not hold a complete one. */
export async function ensureKernelGuestAssets(): Promise<KernelGuestAssets> {
  return ensureAssetSet('kernel-guest assets', setDir(), cachedKernelGuestAssets, build);
}

/** The line the guest's init prints when the script has run (whatever its exit status). */
export const KERNEL_GUEST_DONE = 'XENBOOT-KERNEL-GUEST-DONE';

/**
 * The initramfs: busybox, the modules and an init that mounts the host's root read-only (`/lower`) under a
 * tmpfs (`/upper`) as `/host`, gives it its own `/proc`, `/sys`, `/dev` and `/run`, runs `script` there
 * with `sh` (as `/xenboot-guest.sh`), prints `KERNEL_GUEST_DONE status=<n>` and powers off.
 */
export function buildKernelGuestInitramfs(assets: KernelGuestAssets, script: string): Buffer {
  const moduleNames = readFileSync(join(assets.modulesDir, 'order'), 'utf8').split('\n').filter(Boolean);
  const bb = '/bin/busybox';
  const init = [
    `#!${bb} sh`,
    `${bb} mount -t proc proc /proc`,
    `${bb} mount -t sysfs sysfs /sys`,
    `${bb} mount -t devtmpfs devtmpfs /dev`,
    `for m in ${moduleNames.join(' ')}; do ${bb} insmod /modules/$m.ko || echo "insmod $m failed"; done`,
    // msize: 9p's default 8 KiB messages make loading node and its modules several times slower.
    `${bb} mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288 hostroot /lower || echo "mounting the host root failed"`,
    `${bb} mount -t tmpfs -o mode=755 tmpfs /upper`,
    `${bb} mkdir -p /upper/root /upper/work`,
    `${bb} mount -t overlay -o lowerdir=/lower,upperdir=/upper/root,workdir=/upper/work overlay /host || echo "the overlay over the host root failed"`,
    `${bb} mount -t proc proc /host/proc`,
    `${bb} mount -t sysfs sysfs /host/sys`,
    `${bb} mount -t devtmpfs devtmpfs /host/dev`,
    `${bb} mount -t tmpfs -o mode=755 tmpfs /host/run`,
    `${bb} cp /guest.sh /host/xenboot-guest.sh`,
    `${bb} chroot /host /bin/sh /xenboot-guest.sh`,
    `echo "${KERNEL_GUEST_DONE} status=$?"`,
    `${bb} sync`,
    `${bb} poweroff -f`,
    '',
  ].join('\n');
  const entries: CpioEntry[] = [
    cpioDirectory('bin'),
    cpioDirectory('dev'),
    cpioDirectory('proc'),
    cpioDirectory('sys'),
    cpioDirectory('host'),
    cpioDirectory('lower'),
    cpioDirectory('upper'),
    cpioDirectory('modules'),
    cpioCharDevice('dev/console', 5, 1),
    cpioFile('bin/busybox', readFileSync(assets.busybox), 0o755),
    ...moduleNames.map((name) => cpioFile(`modules/${name}.ko`, readFileSync(join(assets.modulesDir, `${name}.ko`)))),
    cpioFile('init', Buffer.from(init), 0o755),
    cpioFile('guest.sh', Buffer.from(script), 0o755),
  ];
  return encodeCpio(entries);
}

/** What a kernel guest run gave. */
export interface KernelGuestResult {
  /** The script's exit status, or `null` when the guest never got to print it. */
  status: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Everything on the serial console: the kernel's messages and the script's output. */
  serial: string;
}

/**
 * Boots the guest with `script` and waits until it powers off or `timeoutMs` passes (then it is killed by
 * PID). `workDir` receives the initramfs and the serial log (`<name>.serial.log`).
 */
export async function runKernelGuest(
  assets: KernelGuestAssets,
  options: { name: string; script: string; workDir: string; timeoutMs: number; memoryMiB?: number; cpus?: number },
): Promise<KernelGuestResult> {
  const initrd = join(options.workDir, `${options.name}.initrd`);
  const serialPath = join(options.workDir, `${options.name}.serial.log`);
  writeFileSync(initrd, buildKernelGuestInitramfs(assets, options.script));
  const args = [
    '-accel', 'tcg',
    '-machine', 'q35',
    '-cpu', 'max',
    '-smp', String(options.cpus ?? 2),
    '-m', String(options.memoryMiB ?? 1024),
    '-display', 'none',
    '-monitor', 'none',
    '-serial', `file:${serialPath}`,
    '-no-reboot',
    '-nic', 'none',
    '-kernel', assets.vmlinuz,
    '-initrd', initrd,
    '-append', 'console=ttyS0 quiet panic=-1',
    // The guest sees this machine's root read-only; multidevs=remap keeps inode numbers of different
    // devices apart.
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
  ];
  const { timedOut, durationMs, serial } = await awaitQemu(startProcess('qemu-system-x86_64', args), serialPath, options.timeoutMs);
  const done = new RegExp(`${KERNEL_GUEST_DONE} status=(\\d+)`).exec(serial);
  return { status: done ? Number(done[1]) : null, timedOut, durationMs, serial };
}
