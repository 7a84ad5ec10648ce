/**
 * Checks that `pxelinux.0` and the COM32 modules in a TFTP root come from one syslinux build; a mixed
 * set makes PXELINUX fail to load `ldlinux.c32` or `mboot.c32` (boot-protocols.md §2.3). The modules
 * carry no version string (only `pxelinux.0` has its banner, `PXELINUX 6.04 PXE 20200816`), so the
 * markers are, strongest first:
 *
 * 1. the manifest `xenboot tftproot install` writes (`.xenboot-syslinux.json`: package versions and the
 *    SHA-256 of every file it copied): a file whose hash differs was replaced from elsewhere;
 * 2. the installed Debian packages: a file that differs from the package's copy is from another build,
 *    and `pxelinux` and `syslinux-common` must have the same version;
 * 3. in any case: every module's `DT_NEEDED` libraries must be present (`mboot.c32` needs
 *    `libcom32.c32`), and all modules must carry the same compiler `.comment` (one build, one compiler).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElfError, readElfDynamic } from './elf-symbols.js';

/** Debian locations (boot-protocols.md §7). */
export const DEBIAN_SYSLINUX = {
  nbpDir: '/usr/lib/PXELINUX',
  modules: '/usr/lib/syslinux/modules/bios',
} as const;

/** The manifest file `tftproot install` writes into the TFTP root. */
export const MANIFEST_NAME = '.xenboot-syslinux.json';

/** What `tftproot install` recorded. */
export interface SyslinuxManifest {
  packages: Record<string, string>;
  /** File name → SHA-256 hex. */
  files: Record<string, string>;
}

/** One finding. */
export interface SyslinuxProblem {
  file: string;
  message: string;
}

/** The result of a check. */
export interface SyslinuxReport {
  /** `PXELINUX 6.04 PXE 20200816`, when pxelinux.0 is present. */
  banner: string | null;
  /** Syslinux files examined (NBPs and `.c32`). */
  files: string[];
  problems: SyslinuxProblem[];
}

/** SHA-256 of a buffer, hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The version banner in a PXELINUX binary, or `null`. */
export function pxelinuxBanner(binary: Buffer): string | null {
  const match = /L?PXELINUX \d+\.\d+[^\0\r\n]{0,40}/.exec(binary.toString('latin1'));
  return match ? match[0].trim() : null;
}

/** Problems visible in the modules themselves: missing libraries, mixed compilers, non-ELF modules. */
export function moduleProblems(modules: ReadonlyMap<string, Buffer>): SyslinuxProblem[] {
  const problems: SyslinuxProblem[] = [];
  const comments = new Map<string, string[]>();
  for (const [name, bytes] of modules) {
    try {
      const info = readElfDynamic(bytes);
      for (const lib of info.needed) if (!modules.has(lib)) problems.push({ file: name, message: `needs ${lib}, which is not in the TFTP root` });
      const comment = info.comment ?? '(none)';
      comments.set(comment, [...(comments.get(comment) ?? []), name]);
    } catch (error) {
      if (!(error instanceof ElfError)) throw error;
      problems.push({ file: name, message: `not a syslinux 5+ COM32 module (${error.message})` });
    }
  }
  if (comments.size > 1) {
    const groups = [...comments].map(([comment, names]) => `${names.join(', ')}: "${comment}"`).join('; ');
    problems.push({ file: '*.c32', message: `built by different compilers, so not one syslinux build: ${groups}` });
  }
  if (modules.size > 0 && !modules.has('ldlinux.c32')) problems.push({ file: 'ldlinux.c32', message: 'missing: PXELINUX loads it first' });
  return problems;
}

/** Compares files with a manifest written by `tftproot install`. */
export function manifestProblems(files: ReadonlyMap<string, Buffer>, manifest: SyslinuxManifest): SyslinuxProblem[] {
  const problems: SyslinuxProblem[] = [];
  for (const [name, bytes] of files) {
    const recorded = manifest.files[name];
    if (recorded === undefined) problems.push({ file: name, message: `not installed by \`xenboot tftproot install\` (${MANIFEST_NAME} does not list it)` });
    else if (recorded !== sha256(bytes)) problems.push({ file: name, message: `changed since \`xenboot tftproot install\` copied it from ${Object.entries(manifest.packages).filter(([p]) => p !== "ipxe").map(([p, v]) => `${p} ${v}`).join(', ')}` });
  }
  return problems;
}

/** Compares files with the installed Debian packages' copies (files the packages do not ship are skipped). */
export function packageProblems(files: ReadonlyMap<string, Buffer>, dirs: { nbpDir: string; modules: string } = DEBIAN_SYSLINUX): SyslinuxProblem[] {
  const problems: SyslinuxProblem[] = [];
  for (const [name, bytes] of files) {
    const reference = join(name.endsWith('.0') ? dirs.nbpDir : dirs.modules, name);
    if (existsSync(reference) && !bytes.equals(readFileSync(reference))) {
      problems.push({ file: name, message: `differs from ${reference} (the installed syslinux build): reinstall with \`xenboot tftproot install\`` });
    }
  }
  return problems;
}

/** Checks a TFTP root: `pxelinux.0`/`lpxelinux.0` and every `.c32` at its top level. */
export function checkSyslinuxRoot(root: string, options: { packageDirs?: { nbpDir: string; modules: string } | null } = {}): SyslinuxReport {
  const report: SyslinuxReport = { banner: null, files: [], problems: [] };
  if (!existsSync(root)) return report;
  const entries = readdirSync(root).sort();
  const files = new Map<string, Buffer>();
  for (const name of entries.filter((e) => e === 'pxelinux.0' || e === 'lpxelinux.0' || e.endsWith('.c32'))) files.set(name, readFileSync(join(root, name)));
  report.files = [...files.keys()];
  const modules = new Map([...files].filter(([n]) => n.endsWith('.c32')));
  const nbp = files.get('pxelinux.0') ?? files.get('lpxelinux.0');
  if (nbp) report.banner = pxelinuxBanner(nbp);
  if (nbp && !modules.has('ldlinux.c32')) report.problems.push({ file: 'ldlinux.c32', message: 'missing: pxelinux.0 cannot start without it' });
  if (!nbp && modules.size > 0) report.problems.push({ file: 'pxelinux.0', message: 'missing, but .c32 modules are present' });
  report.problems.push(...moduleProblems(modules).filter((p) => !(p.file === 'ldlinux.c32' && report.problems.some((q) => q.file === 'ldlinux.c32'))));
  const manifestPath = join(root, MANIFEST_NAME);
  if (existsSync(manifestPath)) {
    let manifest: SyslinuxManifest | null = null;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SyslinuxManifest;
    } catch (error) {
      report.problems.push({ file: MANIFEST_NAME, message: `unreadable: ${(error as Error).message}` });
    }
    if (manifest && typeof manifest.files === 'object' && manifest.files !== null) report.problems.push(...manifestProblems(files, manifest));
  } else if (options.packageDirs !== null) {
    report.problems.push(...packageProblems(files, options.packageDirs ?? DEBIAN_SYSLINUX));
  }
  return report;
}
