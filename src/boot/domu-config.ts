/**
 * xl domU configs for `xen-domu` profiles (boot-protocols.md §5): name, memory, vcpus,
 * `vif=["mac=…,bridge=…"]`, disks in xl's positional form (`phy:/dev/vg/lv,xvda,w`, `file:`, `tap:aio:`,
 * `tap:qcow:`), `bootloader="xenboot-pvboot"` and `bootloader_args=["mac=…", "--server=…"]`. MACs for
 * new domUs are drawn at random in Xen's OUI 00:16:3e (as xl does) and checked against every MAC already
 * in use. Pure apart from the random source.
 */
import { randomBytes } from 'node:crypto';
import { parseMac } from '../net/mac.js';
import type { DomuDisk, XenDomuProfile } from '../inventory/model.js';
import { RenderError } from './render.js';
import type { TemplateSet } from './templates.js';

/** Xen's OUI (xl-network-configuration(5)). */
export const XEN_MAC_PREFIX = '00:16:3e';

/** A domU name usable in xl and as a file name. */
export const DOMU_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Draws a MAC in 00:16:3e not in `used` (canonical MACs); adds it to `used`. Throws after `attempts` draws. */
export function allocateXenMac(used: Set<string>, random: (n: number) => Buffer = randomBytes, attempts = 10_000): string {
  for (let i = 0; i < attempts; i += 1) {
    const bytes = random(3);
    // The fourth byte stays below 0x80, as in the MACs libxl picks itself (libxl_nic.c: `r[0] & 0x7f`).
    bytes[0]! &= 0x7f;
    const mac = `${XEN_MAC_PREFIX}:${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    if (!used.has(mac)) {
      used.add(mac);
      return mac;
    }
  }
  throw new Error(`no free MAC in ${XEN_MAC_PREFIX} after ${attempts} tries`);
}

/** Every MAC named by `mac=` in xl/xm config text (existing files in the output directory). */
export function macsInXlConfig(text: string): string[] {
  return [...text.matchAll(/mac\s*=\s*([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})/g)].map((m) => parseMac(m[1]!)).filter((m): m is string => m !== null);
}

/** One disk in xl's positional form. */
export function xlDisk(disk: DomuDisk, templates: TemplateSet, name: string): string {
  const target = templates.renderInline(disk.target, { name });
  if (/[\s,"]/.test(target)) throw new RenderError(`disk target ${JSON.stringify(target)} for ${name} contains a space, comma or quote`);
  return `${disk.type}:${target},${disk.vdev},${disk.access}`;
}

/** Renders one xl config. */
export function renderXlConfig(templates: TemplateSet, input: { name: string; mac: string; profile: XenDomuProfile; server: string }): string {
  if (!DOMU_NAME.test(input.name)) throw new RenderError(`"${input.name}" is not a usable domU name`);
  const { profile, name, mac } = input;
  return templates.render('xl/domu', {
    name,
    mac,
    profile,
    memory: profile.memory,
    vcpus: profile.vcpus,
    bridge: profile.bridge,
    disks: profile.disks.map((d) => xlDisk(d, templates, name)),
    bootloader: profile.bootloader,
    bootloaderArgs: [`mac=${mac}`, `--server=${input.server}`],
  });
}
