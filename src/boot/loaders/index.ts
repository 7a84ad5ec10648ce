/**
 * The registry of boot-loader families. Rendering, generated files, DHCP's boot file and explain ask
 * these in this order and never name a family themselves; adding a family is one file, its templates,
 * one line here and its golden files (docs/loaders.md).
 *
 * Order matters where several families could claim a machine: iPXE first (a running iPXE must get a
 * script, never another loader: boot-protocols.md §3), then pypxeboot (a domU in dom0 reads PXELINUX's
 * names), then the firmware's own loader (PXELINUX for BIOS and no option 93, GRUB for UEFI). xen.efi is
 * reached only through iPXE. Names and render targets are disjoint, so their order does not matter.
 */
import type { Machine } from '../machine.js';
import { publicUrlFor, type PublicUrls } from '../public-urls.js';
import { grub } from './grub.js';
import { ipxe } from './ipxe.js';
import { pxelinux } from './pxelinux.js';
import { pypxeboot } from './pypxeboot.js';
import type { DhcpBootSettings, ExplainSubject, Loader, LoaderTarget, ServedName } from './types.js';
import { xenEfi } from './xen-efi.js';

/** Every loader family, in the order they are asked. */
export const LOADERS: readonly Loader[] = [ipxe, pypxeboot, pxelinux, grub, xenEfi];

/** A render target and the family that owns it. */
export interface OwnedTarget {
  loader: Loader;
  target: LoaderTarget;
}

const targets = new Map<string, OwnedTarget>(LOADERS.flatMap((loader) => loader.targets.map((target) => [target.name, { loader, target }] as const)));

/** Every render target's name (`pxelinux`, `ipxe-pcbios`, `ipxe-efi`, `grub`, `xen-cfg`). */
export const RENDER_TARGETS: readonly string[] = [...targets.keys()];

/** The render target of that name and its family, if any. */
export function findTarget(name: string): OwnedTarget | undefined {
  return targets.get(name);
}

/** The family of that id, if any. */
export function findLoader(id: string): Loader | undefined {
  return LOADERS.find((loader) => loader.id === id);
}

/**
 * Recognises a generated file from a normalised path (no leading `/`): the family serving it and the
 * identity its name carries, or `null` for anything else (static files).
 */
export function parseGeneratedPath(path: string): ServedName | null {
  for (const loader of LOADERS) {
    const name = loader.names?.parse(path) ?? null;
    if (name !== null) return name;
  }
  return null;
}

/** Paths of a host's generated files that templates link to, from every family (`xenCfg`). */
export function hostFiles(mac: string): Record<string, string> {
  return Object.assign({}, ...LOADERS.map((loader) => loader.hostFiles?.(mac) ?? {}));
}

/** A DHCP boot file and the rule that picked it (`dhcp.boot.bios`). */
export interface DhcpBootFileChoice {
  file: string;
  rule: string;
}

/**
 * The DHCP boot file decision from `dhcp.boot`: the first family that is handed this machine names its
 * file (`dhcp.boot.fallback` when none does). URLs are made on the public URL of the machine's network
 * (`public-urls.ts`). A machine's own `loader` choice is the inventory's (`loader-choice.ts`), applied over this.
 */
export function dhcpBootFileChooser(boot: DhcpBootSettings, urls: PublicUrls): (machine: Machine) => DhcpBootFileChoice {
  return (machine) => {
    const publicUrl = publicUrlFor(urls, machine.serverAddress);
    for (const loader of LOADERS) {
      const pick = loader.dhcpBootFile(machine, boot, publicUrl);
      if (pick !== null) return { file: pick.file, rule: `dhcp.boot.${pick.setting}` };
    }
    return { file: boot.fallback, rule: 'dhcp.boot.fallback' };
  };
}

/**
 * The family explain says boots this machine: a running iPXE is iPXE's; else the family its host or
 * profile chooses; else the first that claims it (GRUB claims every UEFI machine).
 */
export function explainingLoader(machine: ExplainSubject): Loader {
  if (machine.isIpxe) return ipxe;
  const chosen = machine.chosenFamily === undefined ? undefined : findLoader(machine.chosenFamily);
  if (chosen?.explain) return chosen;
  for (const loader of LOADERS) if (loader.explain?.claims(machine)) return loader;
  return pxelinux;
}
