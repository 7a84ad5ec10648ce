/**
 * Debian's kernel package (the one `linux-image-amd64` depends on) and `busybox-static`, downloaded with
 * `apt-get download` and unpacked side by side, with the kernel's `modules.dep` made by `depmod` (the
 * package leaves it to its postinst): what the network-root set and the kernel-guest set are built from.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { downloadedPackages, requireDownloaded, runTool } from './asset-set.js';
import { resolveKernelPackage } from './assets.js';

/** The unpacked packages. */
export interface UnpackedKernel {
  /** The kernel package's tree (`boot/vmlinuz-<version>`, `lib/modules/<version>`). */
  kernelRoot: string;
  /** busybox-static's tree (`bin/busybox`). */
  busyboxRoot: string;
  /** `uname -r` of the kernel. */
  kernelVersion: string;
  /** Debian version of each package, by name. */
  versions: Record<string, string>;
}

/** Downloads and unpacks both packages under `work` (`debs/`, `kernel/`, `busybox/`). */
export async function unpackKernelAndBusybox(work: string): Promise<UnpackedKernel> {
  const debs = join(work, 'debs');
  const kernelRoot = join(work, 'kernel');
  const busyboxRoot = join(work, 'busybox');
  for (const dir of [debs, kernelRoot, busyboxRoot]) mkdirSync(dir, { recursive: true });
  const kernelPackage = await resolveKernelPackage();
  const packages = [kernelPackage, 'busybox-static'];
  await runTool('apt-get', ['download', '-q', ...packages], debs);
  const versions: Record<string, string> = {};
  for (const { path, name, version } of await downloadedPackages(debs)) {
    versions[name] = version;
    const into = name === kernelPackage ? kernelRoot : busyboxRoot;
    await runTool('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --exclude='./usr/share/doc/*'`, 'sh', path, into], debs);
  }
  requireDownloaded(packages, versions);
  const kernelVersion = readdirSync(join(kernelRoot, 'lib', 'modules'))[0];
  if (!kernelVersion) throw new Error(`${kernelPackage} has no lib/modules/<version>`);
  await runTool('depmod', ['-b', kernelRoot, kernelVersion], work);
  return { kernelRoot, busyboxRoot, kernelVersion, versions };
}
