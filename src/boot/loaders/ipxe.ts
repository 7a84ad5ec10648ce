/**
 * iPXE, on BIOS (`pcbios`) or UEFI (`efi`). A client that is already iPXE (option 77 "iPXE" or option
 * 175) is handed a script URL instead of another loader, which breaks the chainload loop
 * (boot-protocols.md §3). Over HTTP it asks `boot.ipxe?mac=…` (answered by the HTTP boot route); over
 * TFTP `boot.ipxe` is a dispatcher that chains `ipxe/<platform>/01-<mac>.ipxe` (`ipxe/01-<mac>.ipxe`
 * means pcbios). On BIOS a `xen-dom0` profile multiboots an uncompressed Xen within iPXE's limits
 * (`ipxe-limits.ts`); on UEFI iPXE cannot multiboot, so it fetches the images and chains xen.efi with
 * the xen.efi family's `xen.cfg`.
 */
import { answerForMac } from '../answer.js';
import { RenderError } from '../dom0-args.js';
import { checkIpxeMultiboot } from '../ipxe-limits.js';
import { parseMac, pxelinuxMacName, type Mac } from '../../net/mac.js';
import type { Loader } from './types.js';
import { checkXenEfiBootable, xenCfgPath } from './xen-efi.js';

/** iPXE platform a per-MAC script is for (iPXE's `${platform}`). */
export type IpxePlatform = 'pcbios' | 'efi';

/** The per-MAC iPXE script path for a platform. */
export function ipxeScriptPath(mac: Mac, platform: IpxePlatform): string {
  return `ipxe/${platform}/${pxelinuxMacName(mac)}.ipxe`;
}

/**
 * The default iPXE script URL. iPXE expands `${…}` settings in the file name it is given, so the script
 * request already names the machine (boot-protocols.md §3).
 */
export function defaultIpxeScriptUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/boot.ipxe?mac=\${net0/mac}&uuid=\${uuid}&arch=\${buildarch}`;
}

/**
 * The platform a `boot.ipxe?…` request is for (the URL `defaultIpxeScriptUrl` gives iPXE): `platform=`
 * as iPXE's `${platform}` (`pcbios`, `efi`), else `arch=` as DHCP option 93 (0 = BIOS) or iPXE's
 * `${buildarch}` (`i386` = BIOS, `x86_64`/`arm64` = EFI).
 */
export function ipxePlatformFromQuery(query: { platform?: string; arch?: string }): IpxePlatform {
  if (query.platform === 'efi' || query.platform === 'pcbios') return query.platform;
  const arch = query.arch;
  if (arch === undefined || arch === '' || arch === 'i386' || arch === '0') return 'pcbios';
  if (/^\d+$/.test(arch)) return 'efi';
  return arch === 'x86_64' || arch === 'arm64' || arch === 'arm32' ? 'efi' : 'pcbios';
}

/** The iPXE family. */
export const ipxe: Loader = {
  id: 'ipxe',
  client: 'iPXE on BIOS or UEFI (a script over HTTP or TFTP)',
  templates: 'ipxe',
  targets: [
    {
      name: 'ipxe-pcbios',
      custom: { template: 'ipxe', platform: 'pcbios' },
      kinds: {
        'xen-dom0': (kit, profile, context) => {
          const image = profile.xen.uncompressed;
          if (image === undefined) {
            throw new RenderError(`profile "${profile.name}": iPXE cannot load a compressed Xen (${profile.xen.image}); set xen.uncompressed to the gunzipped image`);
          }
          checkIpxeMultiboot(
            [
              { path: image, args: context.xen.args },
              { path: profile.dom0.kernel, args: context.dom0.args },
              ...profile.dom0.initrds.map((path) => ({ path, args: '' })),
            ],
            kit.options.ipxeBase ?? `tftp://${kit.server.address}`,
            profile.name,
          );
          return kit.template('xen-dom0', context);
        },
        linux: (kit, context) => kit.template('linux', context),
        localboot: (kit) => kit.template('localboot', kit.base),
      },
    },
    {
      name: 'ipxe-efi',
      custom: { template: 'ipxe', platform: 'efi' },
      kinds: {
        'xen-dom0': (kit, profile, context) => {
          checkXenEfiBootable(profile, context);
          return kit.template('xen-dom0-efi', context);
        },
        // The kernel's EFI stub finds iPXE's images on its virtual file system by `initrd=<name>`.
        linux: (kit, context) => kit.template('linux', { ...context, efi: true }),
        localboot: (kit) => kit.template('localboot', kit.base),
      },
    },
  ],
  names: {
    parse(path) {
      if (path === 'boot.ipxe') return { loader: 'ipxe', key: { kind: 'default' } };
      const match = /^ipxe\/(?:(pcbios|efi)\/)?01-([^/]+)\.ipxe$/.exec(path);
      if (!match) return null;
      const mac = parseMac(match[2]!);
      return mac === null ? null : { loader: 'ipxe', key: { kind: 'mac', mac }, target: match[1] === 'efi' ? 'ipxe-efi' : 'ipxe-pcbios' };
    },
    async answer(name, ctx) {
      if (name.key.kind !== 'mac' || name.target === undefined) {
        return { kind: 'text', text: ctx.renderer.templates.render('ipxe/dispatch', {}), why: 'iPXE dispatcher: chains ipxe/${platform}/01-${mac}.ipxe' };
      }
      return answerForMac(ctx, name.key.mac, name.target);
    },
  },
  dhcpBootFile: (machine, boot, publicUrl) => (machine.isIpxe ? { file: boot.ipxeScript ?? defaultIpxeScriptUrl(publicUrl), setting: 'ipxeScript' } : null),
  explain: {
    claims: (m) => m.isIpxe,
    async walk(m, walk) {
      const platform: IpxePlatform = m.firmware === 'bios' || m.firmware === 'unknown' ? 'pcbios' : 'efi';
      const last = await walk.ask([ipxeScriptPath(m.mac, platform)], 'http');
      if (platform === 'efi' && last?.result === 'text' && last.text?.includes('xen-cfg/')) await walk.ask([xenCfgPath(m.mac)], 'http');
    },
  },
};
