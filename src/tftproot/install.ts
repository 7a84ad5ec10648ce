/**
 * Installing the boot loaders the boot paths need into the TFTP root, from Debian's packages
 * (boot-protocols.md §7): `pxelinux.0`, `lpxelinux.0` (pxelinux), `ldlinux.c32`, `mboot.c32`,
 * `libcom32.c32`, `libutil.c32`, `menu.c32` (syslinux-common) and `undionly.kpxe`, `ipxe.pxe`,
 * `ipxe.efi`, `snponly.efi` (ipxe). The package versions and the hashes of the syslinux files are
 * recorded in the manifest `syslinux-check.ts` reads, so a file later replaced from another build is
 * found. Nothing is printed here; `xenboot tftproot install` reports the outcome.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_NAME, sha256, type SyslinuxManifest } from './syslinux-check.js';

/** What is installed, from which package and path (relative to the source root). */
export const TFTPROOT_FILES: ReadonlyArray<{ name: string; pkg: string; path: string; optional?: boolean }> = [
  { name: 'pxelinux.0', pkg: 'pxelinux', path: 'usr/lib/PXELINUX/pxelinux.0' },
  { name: 'lpxelinux.0', pkg: 'pxelinux', path: 'usr/lib/PXELINUX/lpxelinux.0', optional: true },
  { name: 'ldlinux.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/ldlinux.c32' },
  { name: 'mboot.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/mboot.c32' },
  { name: 'libcom32.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/libcom32.c32' },
  { name: 'libutil.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/libutil.c32' },
  { name: 'menu.c32', pkg: 'syslinux-common', path: 'usr/lib/syslinux/modules/bios/menu.c32', optional: true },
  { name: 'undionly.kpxe', pkg: 'ipxe', path: 'usr/lib/ipxe/undionly.kpxe' },
  { name: 'ipxe.pxe', pkg: 'ipxe', path: 'usr/lib/ipxe/ipxe.pxe', optional: true },
  { name: 'ipxe.efi', pkg: 'ipxe', path: 'usr/lib/ipxe/ipxe.efi' },
  { name: 'snponly.efi', pkg: 'ipxe', path: 'usr/lib/ipxe/snponly.efi', optional: true },
];

/** The installed version of a Debian package (`dpkg-query`), or `unknown`. */
export function packageVersion(pkg: string): string {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 && result.stdout.trim() !== '' ? result.stdout.trim() : 'unknown';
}

/** One file copied into the root. */
export interface CopiedFile {
  source: string;
  target: string;
}

/** How an install ended. */
export type InstallOutcome =
  /** Required files are missing from the source root: nothing was copied. */
  | { kind: 'missing'; packages: string[]; paths: string[] }
  /** Files were copied, but `pxelinux` and `syslinux-common` differ in version: no manifest was written. */
  | { kind: 'version-mismatch'; copied: CopiedFile[]; pxelinux: string | undefined; syslinuxCommon: string | undefined }
  /** Every file present in the source root was copied and the manifest written. */
  | { kind: 'installed'; copied: CopiedFile[]; manifest: SyslinuxManifest };

/**
 * Copies `TFTPROOT_FILES` from `sourceRoot` (`/` on the Debian host itself) into `root` and writes the
 * manifest. `versionOf` asks for a package's version (`dpkg-query` by default).
 */
export function installTftproot(root: string, sourceRoot: string, versionOf: (pkg: string) => string = packageVersion): InstallOutcome {
  const missing = TFTPROOT_FILES.filter((f) => !f.optional && !existsSync(join(sourceRoot, f.path)));
  if (missing.length > 0) {
    return { kind: 'missing', packages: [...new Set(missing.map((f) => f.pkg))], paths: missing.map((f) => join(sourceRoot, f.path)) };
  }
  mkdirSync(root, { recursive: true });
  const manifest: SyslinuxManifest = { packages: {}, files: {} };
  const copied: CopiedFile[] = [];
  for (const file of TFTPROOT_FILES) {
    const source = join(sourceRoot, file.path);
    if (!existsSync(source)) continue;
    const target = join(root, file.name);
    copyFileSync(source, target);
    manifest.packages[file.pkg] ??= versionOf(file.pkg);
    if (file.name.endsWith('.0') || file.name.endsWith('.c32')) manifest.files[file.name] = sha256(readFileSync(source));
    copied.push({ source, target });
  }
  const [pxelinux, syslinuxCommon] = ['pxelinux', 'syslinux-common'].map((p) => manifest.packages[p]);
  if (pxelinux !== syslinuxCommon) return { kind: 'version-mismatch', copied, pxelinux, syslinuxCommon };
  writeFileSync(join(root, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  return { kind: 'installed', copied, manifest };
}
