/**
 * The file-name parsers of the loader families (PXELINUX `pxelinux.cfg/…`, GRUB `grub/grub.cfg-…`, iPXE
 * `ipxe/<platform>/01-<mac>.ipxe`, `xen-cfg/…`), as a request reaches them: `normaliseContentPath` then
 * `parseGeneratedPath`; and the MAC and UUID parsers under them. Checked: nothing throws but the path
 * rule's `ContentDenied`; every identity is canonical (a parsed MAC or UUID parses to itself); the name a
 * family would ask for that identity parses back to the same family and identity; the render target
 * named exists.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseGeneratedPath, findLoader, RENDER_TARGETS } from '../../src/boot/loaders/index.js';
import { grubCandidates } from '../../src/boot/loaders/grub.js';
import { ipxePlatformFromQuery, ipxeScriptPath } from '../../src/boot/loaders/ipxe.js';
import { pxelinuxCandidates } from '../../src/boot/loaders/pxelinux.js';
import { xenCfgPath } from '../../src/boot/loaders/xen-efi.js';
import { parseMac } from '../../src/net/mac.js';
import { parseUuid } from '../../src/net/uuid.js';
import { check, type FuzzTarget } from '../engine/target.js';
import { checkNormalisedPath } from './tftp-decode.js';
import { capturedPayloads } from './seeds.js';

/** The names a family asks for a MAC, to check that its parser reads them back. */
function canonicalNames(loader: string, mac: string, target: string | undefined): string[] {
  switch (loader) {
    case 'pxelinux':
      return pxelinuxCandidates({ mac }).slice(0, 1);
    case 'grub':
      return grubCandidates(mac).slice(0, 1);
    case 'ipxe':
      return [ipxeScriptPath(mac, target === 'ipxe-efi' ? 'efi' : 'pcbios')];
    case 'xen-efi':
      return [xenCfgPath(mac)];
    default:
      return [];
  }
}

/** Names in the RRQs of the captures: what real PXELINUX, GRUB, iPXE and pypxeboot ask for. */
function capturedNames(): Buffer[] {
  return capturedPayloads((_src, dst) => dst === 69).map((rrq) => {
    const end = rrq.indexOf(0, 2);
    return rrq.subarray(2, end === -1 ? rrq.length : end);
  });
}

/** The file-name parsing target. */
export const bootNames: FuzzTarget = {
  name: 'boot-names',
  description: 'normaliseContentPath + parseGeneratedPath, parseMac, parseUuid, ipxePlatformFromQuery: canonical identities that round-trip',
  maxLength: 1100,
  dictionary: ['pxelinux.cfg/', 'grub/grub.cfg-', 'grub/grub.cfg', 'ipxe/', 'pcbios/', 'efi/', '.ipxe', 'xen-cfg/', '.cfg', 'boot.ipxe', '01-', 'default', '52-54-00-12-34-56', '52:54:00:12:34:56', '5254.0012.3456', 'C0A8', '0A63007B', '085994b8-a6d6-a941-611d-74a6ab80b83d', '/', '\\', '.', '..', '-', ':'],
  seeds: () => [...capturedNames(), ...['pxelinux.cfg/01-52-54-00-12-34-56', 'grub/grub.cfg-0A63007B', 'ipxe/efi/01-52-54-00-12-34-56.ipxe', 'boot.ipxe', 'xen-cfg/01-52-54-00-12-34-56.cfg', 'pxelinux.cfg/085994b8-a6d6-a941-611d-74a6ab80b83d'].map((s) => Buffer.from(s))],
  run(data) {
    const text = data.toString('utf8');
    const mac = parseMac(text);
    if (mac !== null) check(parseMac(mac) === mac && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac), `parseMac("${text}") gave "${mac}", not canonical`);
    const uuid = parseUuid(text);
    if (uuid !== null) check(parseUuid(uuid) === uuid, `parseUuid("${text}") gave "${uuid}", not canonical`);
    const [platform, arch] = text.split('&');
    const picked = ipxePlatformFromQuery({ ...(platform !== undefined ? { platform } : {}), ...(arch !== undefined ? { arch } : {}) });
    check(picked === 'pcbios' || picked === 'efi', `ipxePlatformFromQuery gave "${picked}"`);

    const path = checkNormalisedPath(text);
    if (path === null) return;
    const name = parseGeneratedPath(path);
    if (name === null) return;
    check(findLoader(name.loader) !== undefined, `"${path}" is served by unknown family "${name.loader}"`);
    check(name.target === undefined || RENDER_TARGETS.includes(name.target), `"${path}" names unknown render target "${name.target}"`);
    check(isDeepStrictEqual(parseGeneratedPath(checkNormalisedPath(path) ?? ''), name), `"${path}" parses differently once normalised again`);
    if (name.key.kind === 'mac') {
      const key = name.key.mac;
      check(parseMac(key) === key, `"${path}" gave MAC "${key}", not canonical`);
      for (const canonical of canonicalNames(name.loader, key, name.target)) {
        check(isDeepStrictEqual(parseGeneratedPath(canonical), name), () => `"${path}" → ${JSON.stringify(name)}, but the family's own name "${canonical}" → ${JSON.stringify(parseGeneratedPath(canonical))}`);
      }
    }
    if (name.key.kind === 'uuid') check(parseUuid(name.key.uuid) === name.key.uuid, `"${path}" gave UUID "${name.key.uuid}", not canonical`);
    if (name.key.kind === 'ip') check(/^[0-9A-F]{1,8}$/.test(name.key.hex), `"${path}" gave hex IP "${name.key.hex}"`);
  },
};
