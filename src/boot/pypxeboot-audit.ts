/**
 * What `xenboot check` and `explain` say about the machines pypxeboot boots, before any domU asks:
 * - every known domU (a host with a `xen-domu` profile, or any host whose MAC is in Xen's range) is
 *   rendered as pypxeboot would receive it, host variables included, and a refused render is an error;
 * - the unknown-machine profile is rendered as `pxelinux.cfg/default`; a refusal means no shared default
 *   is generated (a warning);
 * - a static `pxelinux.cfg/default` in the TFTP root (served when none is generated) that fails the lint
 *   is refused to domUs (`pypxeboot-guard.ts`; a warning, since real PXELINUX clients still get it);
 * - tftpy 0.5.x, pypxeboot's TFTP library of its era, asks for 512-byte blocks and cannot fetch
 *   more than 65535 of them: its block counter does not roll over to 0 (boot-protocols.md §1.4,
 *   msoulier/tftpy 0.5 `TftpStates.py`), whatever the server does. A kernel or initrd larger than
 *   65535 × 512 bytes (just under 32 MiB) cannot reach such a domU (a warning).
 */
import { subjectForMac } from './answer.js';
import { RenderError } from './dom0-args.js';
import type { Inventory } from '../inventory/snapshot.js';
import { servesBootloader, type Profile } from '../inventory/model.js';
import { mayBePypxeboot, isXenMac } from './loaders/pypxeboot.js';
import { lintPypxebootConfig } from './pypxeboot-lint.js';
import type { Renderer } from './render-context.js';

/** The largest file tftpy 0.5.x fetches at 512-byte blocks (65535 blocks). */
export const TFTPY_MAX_BYTES = 65535 * 512;

/** One thing the audit found. */
export interface PypxebootFinding {
  level: 'error' | 'warning';
  message: string;
}

/** True when pypxeboot is served this profile (a `xen-domu` profile without `bootloaders` excluding it). */
export function servesPypxeboot(profile: Profile | null | undefined): boolean {
  return profile?.kind === 'xen-domu' && servesBootloader(profile, 'pypxeboot');
}

/**
 * Warnings for a pypxeboot profile's kernel and initrd larger than tftpy 0.5.x can fetch; `fileSize`
 * gives a path's size in the TFTP root, or null when it is not there.
 */
export async function tftpySizeWarnings(profile: Profile, fileSize: (path: string) => Promise<number | null>): Promise<string[]> {
  if (profile.kind !== 'xen-domu' || !servesPypxeboot(profile)) return [];
  const warnings: string[] = [];
  for (const [what, path] of [['kernel', profile.kernel], ['initrd', profile.initrd]] as const) {
    if (path === undefined) continue;
    const size = await fileSize(path);
    if (size !== null && size > TFTPY_MAX_BYTES) {
      warnings.push(
        `profile "${profile.name}": ${what} ${path} is ${size} bytes; pypxeboot's tftpy 0.5.x fetches at most ${TFTPY_MAX_BYTES} (65535 blocks of 512 bytes, no block-number rollover): use a smaller file or xenboot-pvboot`,
      );
    }
  }
  return warnings;
}

/** What the audit reads. */
export interface PypxebootAuditInput {
  inventory: Inventory;
  renderer: Renderer;
  /** The text of a static `pxelinux.cfg/default` in the TFTP root, or null when there is none. */
  staticDefault: string | null;
  fileSize: (path: string) => Promise<number | null>;
}

/** Audits every known domU, the generated and static `default`, and the file sizes pypxeboot fetches. */
export async function auditPypxeboot(input: PypxebootAuditInput): Promise<PypxebootFinding[]> {
  const findings: PypxebootFinding[] = [];
  const profiles = new Map<string, Profile>();
  for (const host of input.inventory.hosts()) {
    if (!(servesPypxeboot(host.profile) || isXenMac(host.mac))) continue;
    // A domU served to xenboot-pvboot only has no PXELINUX file by design.
    if (host.profile?.kind === 'xen-domu' && !servesPypxeboot(host.profile)) continue;
    const found = subjectForMac(input.inventory, host.mac);
    if ('none' in found) continue;
    try {
      input.renderer.render('pxelinux', found.subject, { pypxeboot: mayBePypxeboot(found.subject) });
      if (servesPypxeboot(found.subject.profile)) profiles.set(found.subject.profile.name, found.subject.profile);
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      findings.push({ level: 'error', message: `domU ${host.mac}: pypxeboot would be refused pxelinux.cfg/01-${host.mac.replace(/:/g, '-')}: ${error.message}` });
    }
  }
  const unknown = input.inventory.unknownProfile();
  // A generated default (LOCALBOOT 0 included) shadows a static one.
  let generatedDefault = unknown !== null;
  if (unknown !== null && unknown.kind !== 'localboot') {
    const subject = { mac: '00:00:00:00:00:00', profile: unknown, vars: { ...(unknown.vars ?? {}) }, known: false, label: 'any machine' };
    try {
      input.renderer.render('pxelinux', subject, { pypxeboot: true });
      if (servesPypxeboot(unknown)) profiles.set(unknown.name, unknown);
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      generatedDefault = false;
      findings.push({ level: 'warning', message: `pxelinux.cfg/default is not generated (every domU may read it, so it must suit pypxeboot): ${error.message}` });
    }
  }
  if (input.staticDefault !== null && !generatedDefault) {
    const problems = lintPypxebootConfig(input.staticDefault);
    if (problems.length > 0) {
      const list = problems.map((p) => (p.line > 0 ? `line ${p.line}: ${p.message}` : p.message)).join('; ');
      findings.push({ level: 'warning', message: `the static pxelinux.cfg/default in the TFTP root would crash pypxeboot; it is refused to domUs (any 00:16:3e MAC or xen-domu host): ${list}` });
    }
  }
  for (const profile of profiles.values()) {
    for (const message of await tftpySizeWarnings(profile, input.fileSize)) findings.push({ level: 'warning', message });
  }
  return findings;
}
