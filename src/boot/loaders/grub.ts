/**
 * GRUB 2 as a UEFI network image (`grubnetx64.efi` and its siblings, loaded by UEFI PXE). GRUB 2.06's
 * netboot search (boot-protocols.md §4.1) asks `grub/grub.cfg-01-<mac>`, the hex IP shortened one digit
 * at a time, then `grub/grub.cfg`; Debian's signed image reads only `grub/grub.cfg`, so that file is a
 * dispatcher that loads `grub/grub.cfg-01-<mac>`. A `xen-dom0` profile renders to `multiboot2` +
 * `module2`. DHCP hands it `dhcp.boot.efi*` per UEFI architecture (option 93 = 6, 7/9, 10, 11) and, for
 * UEFI HTTP boot (16), `dhcp.boot.httpX64` or else the x86-64 file.
 */
import { renderAnswer, subjectForKey } from '../answer.js';
import { parseNameKey, shrinkingHexNames } from '../lookup.js';
import type { Machine } from '../machine.js';
import { macHyphenated, pxelinuxMacName, type Mac } from '../../net/mac.js';
import { refuseIbft } from '../profile-context.js';
import type { DhcpBootPick, DhcpBootSettings, Loader } from './types.js';

const DISPATCHER = 'grub/grub.cfg';
const PREFIX = 'grub/grub.cfg-';

/** GRUB 2.06's netboot search (§4.1): per MAC, hex IP shortened, then `grub/grub.cfg`. */
export function grubCandidates(mac: Mac, ip?: string): string[] {
  const names = [`${PREFIX}${pxelinuxMacName(mac)}`];
  if (ip !== undefined) names.push(...shrinkingHexNames(ip).map((h) => `${PREFIX}${h}`));
  names.push(DISPATCHER);
  return names;
}

function efiBootFile(machine: Machine, boot: DhcpBootSettings): DhcpBootPick | null {
  switch (machine.firmware) {
    case 'efi-x64':
      return { file: boot.efiX64, setting: 'efiX64' };
    case 'efi-ia32':
      return { file: boot.efiIa32, setting: 'efiIa32' };
    case 'efi-arm64':
      return { file: boot.efiArm64, setting: 'efiArm64' };
    case 'efi-arm32':
      return { file: boot.efiArm32, setting: 'efiArm32' };
    case 'efi-x64-http':
      return boot.httpX64 !== undefined ? { file: boot.httpX64, setting: 'httpX64' } : { file: boot.efiX64, setting: 'efiX64' };
    default:
      return null;
  }
}

/** The GRUB family. */
export const grub: Loader = {
  id: 'grub',
  client: 'GRUB 2 network image from UEFI PXE (multiboot2 for Xen)',
  templates: 'grub',
  targets: [
    {
      name: 'grub',
      custom: { template: 'grub', platform: null },
      kinds: {
        'xen-dom0': (kit, profile, context) => {
          refuseIbft(context, profile, 'grub');
          return kit.template('xen-dom0', context);
        },
        linux: (kit, context) => kit.template('linux', context),
        localboot: (kit) => kit.template('localboot', kit.base),
      },
    },
  ],
  names: {
    parse(path) {
      if (path === DISPATCHER) return { loader: 'grub', key: { kind: 'default' } };
      if (!path.startsWith(PREFIX)) return null;
      const key = parseNameKey(path.slice(PREFIX.length));
      return key === null || key.kind === 'default' ? null : { loader: 'grub', key, target: 'grub' };
    },
    async answer(name, ctx) {
      if (name.key.kind === 'default') {
        if (ctx.inventory.isEmpty()) return { kind: 'not-found', why: 'the inventory is empty' };
        return { kind: 'text', text: ctx.renderer.templates.render('grub/dispatch', {}), why: 'GRUB dispatcher: loads grub/grub.cfg-01-<mac>' };
      }
      const found = await subjectForKey(ctx, name.key);
      if ('none' in found) return { kind: 'not-found', why: found.none };
      return renderAnswer(ctx, 'grub', found);
    },
  },
  dhcpBootFile: (machine, boot) => efiBootFile(machine, boot),
  explain: {
    // Asked after PXELINUX: every UEFI firmware.
    claims: (m) => m.firmware !== 'bios' && m.firmware !== 'unknown',
    async walk(m, walk) {
      // A vendor image reads its one fixed path, answered for this machine by its address.
      if (m.vendorConfig !== undefined) {
        await walk.ask([m.vendorConfig], 'tftp');
        return;
      }
      const last = await walk.ask(grubCandidates(m.mac, m.ip), 'tftp');
      if (last?.path === DISPATCHER && last.result === 'text') await walk.ask([`${PREFIX}01-${macHyphenated(m.mac)}`], 'tftp');
    },
  },
};
