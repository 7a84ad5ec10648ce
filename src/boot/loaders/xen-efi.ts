/**
 * xen.efi, Xen's own UEFI loader, chained by the UEFI iPXE script (`ipxe.ts`): iPXE fetches the dom0
 * kernel, initrd and this family's `xen-cfg/01-<mac>` into its virtual file system under their base
 * names, then starts xen.efi, which reads `xen.cfg` (`[global]` + one `[xen]` section with `kernel=` and
 * one `ramdisk=`; docs/misc/efi.pandoc in the Xen tree). So a profile needs `xen.efi`, at most one initrd,
 * and distinct file names. The family is never handed by DHCP and never chosen by explain on its own.
 */
import { answerForMac } from '../answer.js';
import { RenderError } from '../dom0-args.js';
import type { XenDom0Profile } from '../../inventory/model.js';
import { parseMac, pxelinuxMacName, type Mac } from '../../net/mac.js';
import type { Dom0Context } from '../profile-context.js';
import type { Loader } from './types.js';

/** The path of a host's generated `xen.cfg` (for xen.efi). */
export function xenCfgPath(mac: Mac): string {
  return `xen-cfg/${pxelinuxMacName(mac)}`;
}

/** Refuses a `xen-dom0` profile xen.efi cannot boot (no xen.efi, several initrds, clashing names). */
export function checkXenEfiBootable(profile: XenDom0Profile, context: Dom0Context): void {
  const name = profile.name;
  if (profile.xen.efi === undefined) {
    throw new RenderError(`profile "${name}" has no xen.efi: UEFI iPXE cannot multiboot Xen; set xen.efi (xen.efi + xen.cfg) or boot through GRUB`);
  }
  if (profile.dom0.initrds.length > 1) throw new RenderError(`profile "${name}": xen.cfg takes one ramdisk, the profile has ${profile.dom0.initrds.length}`);
  const names = [context.dom0.kernelName, ...context.dom0.initrdNames, 'xen.cfg'];
  if (new Set(names).size !== names.length) throw new RenderError(`profile "${name}": kernel and initrd need distinct file names for xen.efi (${names.join(', ')})`);
}

/** The xen.efi family. */
export const xenEfi: Loader = {
  id: 'xen-efi',
  client: "Xen's xen.efi reading xen.cfg, chained by UEFI iPXE",
  templates: 'xen-efi',
  targets: [
    {
      name: 'xen-cfg',
      noun: 'xen.cfg',
      custom: { template: 'xenCfg', platform: null },
      kinds: {
        'xen-dom0': (kit, profile, context) => {
          checkXenEfiBootable(profile, context);
          return kit.template('xen-dom0', context);
        },
      },
    },
  ],
  names: {
    parse(path) {
      const match = /^xen-cfg\/01-([^/]+)$/.exec(path);
      const mac = match ? parseMac(match[1]!) : null;
      return mac === null ? null : { loader: 'xen-efi', key: { kind: 'mac', mac }, target: 'xen-cfg' };
    },
    async answer(name, ctx) {
      if (name.key.kind !== 'mac') return { kind: 'not-found', why: 'xen.cfg is generated per MAC only' };
      return answerForMac(ctx, name.key.mac, 'xen-cfg');
    },
  },
  hostFiles: (mac) => ({ xenCfg: xenCfgPath(mac) }),
  dhcpBootFile: () => null,
  explain: null,
};
