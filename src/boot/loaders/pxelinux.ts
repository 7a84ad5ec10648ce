/**
 * PXELINUX (syslinux 6, loaded by a BIOS PXE ROM as `pxelinux.0`). It asks `pxelinux.cfg/<uuid>` (the
 * UUID from option 97 as sent, first three fields possibly byte-swapped), `01-<mac>`, the hex IP shortened
 * one digit at a time, then `default` (`core/fs/pxe/pxe.c: pxe_open_config`, boot-protocols.md §2.3);
 * options 209/210 would change that and are written by DHCP when configured. A `xen-dom0` profile renders
 * to an `mboot.c32` APPEND; `xen-domu` to the pypxeboot subset, since pypxeboot reads the same names.
 * DHCP hands it `dhcp.boot.bios`, and `dhcp.boot.fallback` to clients without option 93.
 */
import { subjectForKey, renderAnswer, type GeneratedAnswer, type GeneratedFilesContext } from '../answer.js';
import { RenderError } from '../dom0-args.js';
import { parseNameKey, shrinkingHexNames, type LookupIdentity } from '../lookup.js';
import { pxelinuxMacName } from '../../net/mac.js';
import { servesBootloader } from '../../inventory/model.js';
import { refuseIbft } from '../profile-context.js';
import { checkPypxebootRender, mayBePypxeboot } from './pypxeboot.js';
import type { Loader } from './types.js';

const PREFIX = 'pxelinux.cfg/';

/** PXELINUX's request order (`core/fs/pxe/pxe.c: pxe_open_config`), without option 209. */
export function pxelinuxCandidates(id: LookupIdentity): string[] {
  const names: string[] = [];
  if (id.wireUuid !== undefined) names.push(id.wireUuid.toLowerCase());
  names.push(pxelinuxMacName(id.mac));
  if (id.ip !== undefined) names.push(...shrinkingHexNames(id.ip));
  names.push('default');
  return names.map((n) => `${PREFIX}${n}`);
}

/** `pxelinux.cfg/default`: the unknown-machine profile, and only what pypxeboot can parse. */
function unknownDefault(ctx: GeneratedFilesContext): GeneratedAnswer {
  const profile = ctx.inventory.unknownProfile();
  if (!profile) return { kind: 'not-found', why: `unknown machines get nothing (inventory.unknown.boot: ${ctx.inventory.unknown.boot})` };
  const found = { subject: { mac: '00:00:00:00:00:00', profile, vars: { ...(profile.vars ?? {}) }, known: false, label: 'any machine' }, why: `default for unknown machines: profile "${profile.name}"` };
  // Any domU can reach pxelinux.cfg/default, so it must be something pypxeboot parses (§0 #10).
  const answer = renderAnswer(ctx, 'pxelinux', found, { pypxeboot: true });
  return answer.kind === 'refused' ? { kind: 'not-found', why: `${answer.why} (never served as a shared default)` } : answer;
}

/** The PXELINUX family. */
export const pxelinux: Loader = {
  id: 'pxelinux',
  client: 'PXELINUX from a BIOS PXE ROM (mboot.c32 for Xen)',
  templates: 'pxelinux',
  targets: [
    {
      name: 'pxelinux',
      custom: { template: 'pxelinux', platform: null },
      kinds: {
        'xen-dom0': (kit, profile, context) => {
          refuseIbft(context, profile, 'pxelinux');
          if (kit.options.pypxeboot) throw new RenderError(`profile "${profile.name}" (xen-dom0) renders an mboot.c32 APPEND, which pypxeboot cannot parse`);
          return kit.template('xen-dom0', context);
        },
        'xen-domu': (kit, context) => {
          const profile = kit.subject.profile;
          // Only pypxeboot reads a domU's PXELINUX file; a profile not served to it has none.
          if (profile.kind === 'xen-domu' && !servesBootloader(profile, 'pypxeboot')) {
            throw new RenderError(`profile "${profile.name}" is served to xenboot-pvboot only (bootloaders: [${profile.bootloaders!.join(', ')}]): no PXELINUX file for pypxeboot`);
          }
          return kit.template('xen-domu', context);
        },
        linux: (kit, context) => kit.template('linux', context),
        localboot: (kit) => kit.template('localboot', kit.base),
      },
      check: checkPypxebootRender,
    },
  ],
  names: {
    parse(path) {
      if (!path.startsWith(PREFIX)) return null;
      const key = parseNameKey(path.slice(PREFIX.length));
      return key === null ? null : { loader: 'pxelinux', key, target: 'pxelinux' };
    },
    async answer(name, ctx) {
      if (name.key.kind === 'default') return unknownDefault(ctx);
      const found = await subjectForKey(ctx, name.key);
      if ('none' in found) return { kind: 'not-found', why: found.none };
      const answer = renderAnswer(ctx, 'pxelinux', found, { pypxeboot: mayBePypxeboot(found.subject) });
      // An unknown domU gets "not found" rather than a file that would crash it; it moves on to default.
      if (answer.kind === 'refused' && !found.subject.known) return { kind: 'not-found', why: answer.why };
      return answer;
    },
  },
  dhcpBootFile(machine, boot) {
    if (machine.firmware === 'bios') return { file: boot.bios, setting: 'bios' };
    if (machine.firmware === 'unknown') return { file: boot.fallback, setting: 'fallback' };
    return null;
  },
  explain: {
    claims: (m) => m.firmware === 'bios' || m.firmware === 'unknown',
    async walk(m, walk) {
      const wireUuid = m.uuid ?? m.host?.uuid;
      await walk.ask(pxelinuxCandidates({ mac: m.mac, ...(wireUuid !== undefined ? { wireUuid } : {}), ...(m.ip !== undefined ? { ip: m.ip } : {}) }), 'tftp');
    },
  },
};
