/**
 * The UEFI boot assets beside the common set (`assets.ts`): Xen's own UEFI loader `xen.efi`, iPXE's EFI
 * builds and GRUB's x86_64-efi modules (for net images built per lab, `buildGrubNetImage`), fetched from Debian with `apt-get download` + `dpkg-deb` into `.cache/e2e/uefi-v<N>/` and
 * published the way every asset set is (`asset-set.ts`). OVMF itself is in the common set.
 *
 * Debian ships `xen.efi` as `/boot/xen-4.17-amd64.efi` in the hypervisor package, and iPXE's EFI image as
 * `/boot/ipxe.efi` (with `/usr/lib/ipxe/ipxe.efi` an absolute symlink to it) plus `snponly.efi`, which
 * drives the NIC through the firmware's own SNP instead of iPXE's drivers.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../xenboot.js';
import { GRUB_MODULES } from './assets.js';
import { ensureAssetSet, downloadedPackages, isPublished, publishAssetSet, requireDownloaded, runTool } from './asset-set.js';

/** Bump when the layout or the contents of the set change, so old caches are rebuilt. */
const UEFI_ASSET_VERSION = 2;

/** Debian packages the UEFI set is extracted from. */
export const UEFI_ASSET_PACKAGES = ['xen-hypervisor-4.17-amd64', 'ipxe', 'grub-efi-amd64-bin'] as const;

/** Paths of the prepared files; each is a plain file inside `dir`. */
export interface UefiAssets {
  dir: string;
  /** Xen 4.17's PE/COFF UEFI loader (reads `xen.cfg` beside itself). */
  xenEfi: string;
  /** iPXE's EFI image with its own NIC drivers. */
  ipxeEfi: string;
  /** iPXE's EFI image that uses the firmware's SNP. */
  snponlyEfi: string;
  /** GRUB's `x86_64-efi` module directory (`grub-mkimage -d`). */
  grubModules: string;
  /** Debian package versions the set was built from. */
  versions: Record<string, string>;
}

const GRUB_MODULE_DIR = 'grub-x86_64-efi';

const FILES = { xenEfi: 'xen.efi', ipxeEfi: 'ipxe.efi', snponlyEfi: 'snponly.efi' } as const;

function setDir(): string {
  return join(repoRoot, '.cache', 'e2e', `uefi-v${UEFI_ASSET_VERSION}`);
}

/** The prepared set if it is complete in the cache, else `null` (nothing is downloaded). */
export function cachedUefiAssets(): UefiAssets | null {
  const dir = setDir();
  if (!isPublished(dir) || ![...Object.values(FILES), GRUB_MODULE_DIR].every((name) => existsSync(join(dir, name)))) return null;
  const paths = Object.fromEntries(Object.entries(FILES).map(([key, name]) => [key, join(dir, name)])) as Record<keyof typeof FILES, string>;
  const versions = JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')) as Record<string, string>;
  return { dir, ...paths, grubModules: join(dir, GRUB_MODULE_DIR), versions };
}

async function build(target: string): Promise<void> {
  const work = join(repoRoot, '.cache', 'e2e', `tmp-uefi-${process.pid}-${Date.now()}`);
  const debs = join(work, 'debs');
  const root = join(work, 'root');
  const out = join(work, 'set');
  for (const dir of [debs, root, out]) mkdirSync(dir, { recursive: true });
  try {
    await runTool('apt-get', ['download', '-q', ...UEFI_ASSET_PACKAGES], debs);
    const versions: Record<string, string> = {};
    for (const { path, name, version } of await downloadedPackages(debs)) {
      versions[name] = version;
      await runTool('dpkg-deb', ['-x', path, root], debs);
    }
    requireDownloaded(UEFI_ASSET_PACKAGES, versions);
    const xenEfi = readdirSync(join(root, 'boot')).find((f) => /^xen-.*\.efi$/.test(f));
    if (!xenEfi) throw new Error('xen.efi (/boot/xen-*.efi) missing from the hypervisor package');
    copyFileSync(join(root, 'boot', xenEfi), join(out, FILES.xenEfi));
    // Not usr/lib/ipxe/ipxe.efi: it is an absolute symlink, which would resolve on this host.
    copyFileSync(join(root, 'boot', 'ipxe.efi'), join(out, FILES.ipxeEfi));
    copyFileSync(join(root, 'usr', 'lib', 'ipxe', 'snponly.efi'), join(out, FILES.snponlyEfi));
    cpSync(join(root, 'usr', 'lib', 'grub', 'x86_64-efi'), join(out, GRUB_MODULE_DIR), { recursive: true });
    publishAssetSet(out, target, versions);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Returns the UEFI asset set, downloading and extracting it first when the cache does not hold a
 * complete one. Needs `apt-get` (with package lists), `dpkg-deb` and `tar`.
 */
export async function ensureUefiAssets(): Promise<UefiAssets> {
  return ensureAssetSet('UEFI assets', setDir(), cachedUefiAssets, build);
}

/**
 * Builds a GRUB x86_64-efi net image (the common set's modules) whose prefix is `prefix`, e.g.
 * `(tftp,10.205.41.1)/grub`, and returns its path. GRUB's efinet configures the network from the PXE base
 * code's DHCP ACK only (`grub_efi_net_config_real` reads `pxe_mode->dhcp_ack`, never `proxy_offer` or
 * `pxe_reply`), so after proxyDHCP it knows its address but not the boot server: an image loaded that way
 * needs the server in its prefix.
 */
export async function buildGrubNetImage(uefi: UefiAssets, prefix: string, out: string): Promise<string> {
  await runTool('grub-mkimage', ['-O', 'x86_64-efi', '-d', uefi.grubModules, '-p', prefix, '-o', out, ...GRUB_MODULES], repoRoot, 120_000);
  return out;
}
