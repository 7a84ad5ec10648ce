/**
 * Giving events a MAC when the producer did not know it. TFTP sees only the client's IP, and HTTP only
 * the URL; the MAC comes from, in order:
 * 1. the requested name: a generated file's name as the boot loaders spell it (`pxelinux.cfg/01-<mac>`,
 *    `grub/grub.cfg-01-<mac>`, `ipxe/01-<mac>.ipxe`, `xen-cfg/01-<mac>`: the one grammar of
 *    `boot/lookup.ts`, under any directory prefix), a `mac=` query parameter, or a path segment that is
 *    a MAC in any spelling (the boot-spec API, per-MAC scripts named by MAC alone);
 * 2. the address: the MAC xenboot last acknowledged that address to, or acknowledged a proxy or INFORM
 *    answer from it (`ciaddr`; learned from DHCP events), or the
 *    MAC an iPXE script fetch from that address named in `mac=`, or the inventory host reserved at it, or
 *    (asynchronously) the lease store.
 * pypxeboot fetches from dom0's address, so its kernel and initrd are attributed by name only when the
 * name carries the MAC; by address they go to dom0.
 */
import { parseGeneratedPath } from '../boot/loaders/index.js';
import type { ServedName } from '../boot/loaders/types.js';
import { parseMac } from '../net/mac.js';
import type { LeaseStore } from '../store/types.js';
import type { BootEvent } from './types.js';

const MAC_QUERY = /[?&]mac=([^&#]+)/i;

/** The MAC in a `mac=` query parameter, if any. Pure. */
export function macFromQuery(name: string): string | undefined {
  const query = MAC_QUERY.exec(name);
  if (!query) return undefined;
  try {
    return parseMac(decodeURIComponent(query[1]!)) ?? undefined;
  } catch {
    return undefined; // a malformed escape is not a MAC
  }
}

/** The MAC a generated file's name carries, if it names one (a UUID, hex-IP or default name does not). */
function macOfGenerated(name: ServedName): string | undefined {
  return name.key.kind === 'mac' ? name.key.mac : undefined;
}

/**
 * The MAC in a generated file's name, read by the loaders' own parser (`parseGeneratedPath`). The name
 * may sit under a directory (DHCP option 210's path prefix, a leading `/` over HTTP), so every tail of
 * the path is tried. Pure.
 */
export function macFromFileName(path: string): string | undefined {
  const parts = path.replace(/\\/g, '/').split('/');
  for (let i = 0; i < parts.length; i++) {
    const name = parseGeneratedPath(parts.slice(i).join('/'));
    const mac = name === null ? undefined : macOfGenerated(name);
    if (mac !== undefined) return mac;
  }
  return undefined;
}

/** The MAC named in a file path or URL, if any. Pure. */
export function macFromName(name: string): string | undefined {
  const file = macFromFileName(name.split(/[?#]/)[0]!);
  if (file) return file;
  const query = macFromQuery(name);
  if (query) return query;
  for (const segment of name.split(/[/?#&]/)) {
    let stem = segment.replace(/\.[A-Za-z0-9]+$/, '');
    try {
      stem = decodeURIComponent(stem);
    } catch {
      // keep it as sent
    }
    if (stem.length >= 12 && stem.length <= 17) {
      const mac = parseMac(stem);
      if (mac) return mac;
    }
  }
  return undefined;
}

/** Remembers address → MAC bindings and fills in missing MACs. */
export class EventEnricher {
  private readonly byIp = new Map<string, string>();

  constructor(
    private readonly options: {
      /** The MAC of the inventory host reserved at an address. */
      hostMacByIp?: (ip: string) => string | undefined;
      leases?: LeaseStore;
      /** Bound on remembered bindings (oldest dropped first). */
      maxEntries?: number;
    } = {},
  ) {}

  /** Records that `ip` belongs to `mac` now (e.g. from a lease loaded at start). */
  learn(ip: string, mac: string): void {
    this.byIp.delete(ip);
    this.byIp.set(ip, mac);
    if (this.byIp.size > (this.options.maxEntries ?? 100_000)) this.byIp.delete(this.byIp.keys().next().value!);
  }

  /** Learns from the event and returns it with a MAC when one can be found without I/O (same object if unchanged). */
  enrichNow(event: BootEvent): BootEvent {
    if (event.kind === 'dhcp' && event.mac !== undefined && event.reply === 'ACK') {
      if (event.yiaddr !== undefined) this.learn(event.yiaddr, event.mac);
      // An ACK without an address (proxy mode's port-4011 answer, INFORM) went to a client that already
      // holds `ciaddr` (the event's `ip`): EDK2's PXE asks 4011 from the address the site server gave it,
      // and its TFTP then comes from there (PXE 2.1 §2.2.2).
      else if (event.ip !== undefined) this.learn(event.ip, event.mac);
    }
    // iPXE fills `mac=${net0/mac}` with its own MAC, so a script fetch binds the address it came from. This
    // is how files are attributed when xenboot acknowledged no address (proxy mode, another DHCP server).
    // Only the query form counts: a MAC in a path (pypxeboot's `01-<mac>`, xenboot-pvboot's boot spec) is
    // the domU's, asked for from dom0's address.
    if (event.kind === 'http' && event.status < 300 && event.ip !== undefined) {
      const own = macFromQuery(event.path);
      if (own !== undefined) this.learn(event.ip, own);
    }
    if (event.mac !== undefined) return event;
    const name = event.kind === 'tftp' ? event.file : event.kind === 'http' ? event.path : undefined;
    const mac = (name !== undefined ? macFromName(name) : undefined) ?? (event.ip !== undefined ? this.macForIp(event.ip) : undefined);
    return mac === undefined ? event : { ...event, mac };
  }

  /** Like `enrichNow`, then asks the lease store for the address when nothing else knew it. */
  async enrich(event: BootEvent): Promise<BootEvent> {
    const now = this.enrichNow(event);
    if (now.mac !== undefined || now.ip === undefined || !this.options.leases) return now;
    try {
      const lease = await this.options.leases.getLeaseByIp(now.ip);
      if (lease && lease.state !== 'declined') return { ...now, mac: lease.mac };
    } catch {
      // The timeline is best effort; the event is kept without a MAC.
    }
    return now;
  }

  /** The MAC known for an address without I/O. */
  macForIp(ip: string): string | undefined {
    return this.byIp.get(ip) ?? this.options.hostMacByIp?.(ip);
  }
}
