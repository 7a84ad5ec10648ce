/**
 * The last word before a PXELINUX file reaches a domU over TFTP: whatever answered the name (a render,
 * or a static file in the TFTP root such as a hand-written `pxelinux.cfg/default` with an `mboot.c32`
 * APPEND), a domU never gets a file that fails the pypxeboot lint, since pypxeboot 0.0.3 crashes on it
 * (boot-protocols.md §0 #10, §1.5). It wraps the whole content chain; the refusal reaches the client as
 * TFTP ERROR 2 with the reason, and pypxeboot takes any error as "not found" and moves on.
 *
 * Who is a domU, by the name asked (pypxeboot's TFTP comes from dom0's address, never the domU's):
 * - `pxelinux.cfg/01-<mac>` and the 8-digit hex address (a reserved host or a lease): a MAC in Xen's
 *   00:16:3e range (known or not, whatever its profile), or a known host with a `xen-domu` profile;
 * - `pxelinux.cfg/default` names nobody. pypxeboot always asks `01-<mac>` first and falls back to
 *   `default` within seconds (§1.4), so `default` is judged as for a domU when the same source address
 *   asked a domU's `01-<mac>` within the last `DOMU_FALLBACK_MS`. A dom0 PXE-booting itself asks its own
 *   `01-<mac>` (not a domU's) first, so it is not caught; a dom0 that runs pypxeboot and, within the same
 *   minute, boots something with real PXELINUX from the same address would be.
 * UUID names are PXELINUX's only and pass untouched, as do HTTP requests (pypxeboot speaks TFTP only).
 */
import { ContentDenied, type Content, type ContentHandler, type ContentRequest } from '../content/types.js';
import type { Logger } from '../log.js';
import { intToIp } from '../net/ipv4.js';
import type { Inventory } from '../inventory/snapshot.js';
import { isXenMac } from './loaders/pypxeboot.js';
import { parseNameKey } from './lookup.js';
import { lintPypxebootConfig } from './pypxeboot-lint.js';

/** How long after a domU's `01-<mac>` its dom0's `default` is still taken as pypxeboot's fallback. */
export const DOMU_FALLBACK_MS = 60_000;

/** PXELINUX files larger than this are refused to a domU outright (pypxeboot reads a few lines). */
const MAX_LINTED_BYTES = 64 * 1024;

/** The most source addresses remembered at once (the oldest is forgotten first). */
const MAX_REMEMBERED = 4096;

const PREFIX = 'pxelinux.cfg/';

/** What the guard reads of the running service. */
export interface PypxebootGuardDeps {
  /** The current inventory snapshot. */
  inventory: () => Inventory;
  /** A dynamic lease's MAC for an address (8-digit hex names). */
  macForIp?: (ip: string) => Promise<string | null>;
  /** Milliseconds now (injected for tests). */
  now?: () => number;
  logger?: Logger;
}

/** True when a machine with this MAC is taken as a domU: Xen's OUI, or a known host with a `xen-domu` profile. */
export function isDomuMac(inventory: Inventory, mac: string): boolean {
  return isXenMac(mac) || inventory.hostByMac(mac)?.profile?.kind === 'xen-domu';
}

/** Wraps `inner` so that no PXELINUX file failing the pypxeboot lint is served to a domU over TFTP. */
export function pypxebootGuard(inner: ContentHandler, deps: PypxebootGuardDeps): ContentHandler {
  const now = deps.now ?? Date.now;
  // Source address → when it last asked a domU's 01-<mac>, and which MAC.
  const recent = new Map<string, { mac: string; at: number }>();
  const remember = (ip: string, mac: string) => {
    recent.delete(ip);
    recent.set(ip, { mac, at: now() });
    if (recent.size > MAX_REMEMBERED) recent.delete(recent.keys().next().value!);
  };

  /** The domU a request is for (its MAC), or null when it is not taken as one. */
  const domuFor = async (request: ContentRequest): Promise<string | null> => {
    if (request.protocol !== 'tftp' || !request.path.startsWith(PREFIX)) return null;
    const key = parseNameKey(request.path.slice(PREFIX.length));
    if (key === null) return null;
    const inventory = deps.inventory();
    switch (key.kind) {
      case 'mac':
        if (!isDomuMac(inventory, key.mac)) return null;
        remember(request.clientIp, key.mac);
        return key.mac;
      case 'ip': {
        if (key.hex.length !== 8) return null;
        const ip = intToIp(parseInt(key.hex, 16));
        const mac = inventory.hostByIp(ip)?.mac ?? (deps.macForIp ? await deps.macForIp(ip) : null);
        return mac !== null && mac !== undefined && isDomuMac(inventory, mac) ? mac : null;
      }
      case 'default': {
        const last = recent.get(request.clientIp);
        return last !== undefined && now() - last.at <= DOMU_FALLBACK_MS ? last.mac : null;
      }
      case 'uuid':
        return null;
    }
  };

  return async (request: ContentRequest): Promise<Content | null> => {
    const mac = await domuFor(request);
    const content = await inner(request);
    if (mac === null || content === null) return content;
    let problems: string[];
    try {
      if (content.size > MAX_LINTED_BYTES) problems = [`${content.size} bytes is no PXELINUX file pypxeboot can use`];
      else problems = lintPypxebootConfig((await content.read(0, content.size)).toString('utf8')).map((p) => (p.line > 0 ? `line ${p.line}: ${p.message}` : p.message));
    } catch (error) {
      await content.close();
      throw error;
    }
    if (problems.length === 0) return content;
    await content.close();
    const why = `${request.path} (${content.source === 'file' ? 'a file in the TFTP root' : 'generated'}) is not safe for pypxeboot, and ${mac} is a domU: ${problems.join('; ')}`;
    deps.logger?.warn({ path: request.path, client: request.clientIp, mac, problems }, 'PXELINUX file refused to a domU');
    throw new ContentDenied(why, { clientMessage: `refused: ${why}` });
  };
}
