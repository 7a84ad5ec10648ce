/**
 * pypxeboot (0.0.3, Xen's xm-era PV bootloader run in dom0 for a domU): a Python re-implementation of
 * PXELINUX's lookup. It leases an address for the domU with udhcpc (no option 93, so DHCP hands it the
 * `fallback` file, which it never fetches; it reads only `siaddr`), then asks PXELINUX's names over TFTP
 * from dom0's address: `pxelinux.cfg/01-<MAC as typed in the Xen config, case kept>`, the leased address
 * as 8 hex digits (no shortening), then `default` (boot-protocols.md §1.4). It serves no names of its own:
 * the PXELINUX family answers them, rendering with this family's rule when pypxeboot may be the one asking.
 * That rule is `pypxeboot-lint.ts`: pypxeboot parses a small subset with line regexes and crashes on
 * ordinary PXELINUX files (§1.5), so anything it may read is linted and refused with the offending token.
 */
import { RenderError } from '../dom0-args.js';
import { ipToHex } from '../../net/ipv4.js';
import { assertPypxebootSafe } from '../pypxeboot-lint.js';
import { servesBootloader } from '../../inventory/model.js';
import type { RenderKit, RenderSubject } from '../render-context.js';
import type { Loader } from './types.js';

/** Xen's OUI: domUs (and so pypxeboot clients) get MACs in 00:16:3e (xl-network-configuration(5)). */
export const XEN_OUI = '00:16:3e';

/**
 * pypxeboot's request order (§1.4): the MAC as typed in the Xen config with `:` turned into `-` (case
 * kept), the leased address as 8 hex digits (no shortening), then `default`. No UUID.
 */
export function pypxebootCandidates(macAsTyped: string, ip?: string): string[] {
  const names = [`01-${macAsTyped.replace(/:/g, '-')}`];
  if (ip !== undefined) names.push(ipToHex(ip));
  names.push('default');
  return names.map((n) => `pxelinux.cfg/${n}`);
}

/**
 * True when pypxeboot may be the one asking: a domU profile served to pypxeboot, or any MAC in Xen's range
 * (known or not, whatever its profile: a domU's vif MAC is what pypxeboot asks with).
 */
export function mayBePypxeboot(subject: RenderSubject): boolean {
  const profile = subject.profile;
  return (profile.kind === 'xen-domu' && servesBootloader(profile, 'pypxeboot')) || isXenMac(subject.mac);
}

/** True for a MAC in Xen's OUI (any spelling `parseMac` accepts, as canonical `aa:bb:…`). */
export function isXenMac(mac: string): boolean {
  return mac.toLowerCase().startsWith(XEN_OUI);
}

/**
 * Refuses a finished PXELINUX render pypxeboot would crash on or misread, naming the profile and MAC.
 * `LOCALBOOT 0` is exempt: it has no APPEND for pypxeboot to split.
 */
export function checkPypxebootRender(kit: RenderKit, text: string): void {
  if (!kit.options.pypxeboot || kit.subject.profile.kind === 'localboot') return;
  try {
    assertPypxebootSafe(text);
  } catch (error) {
    throw new RenderError(`profile "${kit.subject.profile.name}" for ${kit.subject.mac}: ${(error as Error).message}`);
  }
}

/** The pypxeboot family: PXELINUX's names, pypxeboot's order and rule. */
export const pypxeboot: Loader = {
  id: 'pypxeboot',
  client: 'pypxeboot in dom0, booting a PV domU (reads PXELINUX files)',
  templates: null,
  targets: [],
  // It reads PXELINUX's names; the PXELINUX family answers them (with this family's rule).
  names: null,
  // udhcpc sends no option 93: the PXELINUX family's `fallback` answers it.
  dhcpBootFile: () => null,
  explain: {
    claims: (m) => m.host?.profileKind === 'xen-domu' || (m.host === null && m.mac.startsWith(XEN_OUI) && m.arch === undefined),
    async walk(m, walk) {
      // pypxeboot keeps the MAC's case as typed in the Xen config; xl configs written by xenboot use lowercase.
      await walk.ask(pypxebootCandidates(m.mac, m.ip), 'tftp');
    },
  },
};
