/**
 * `GET /api/v1/machines`: every machine of the inventory and every MAC seen on the wire lately, one row
 * each, with its state and last phase (the console's Machines page). A MAC that sent DHCP but is in no
 * host is listed as `unknown`, with the firmware architecture (option 93) and vendor class (option 60)
 * of its last DHCP message and when it was first and last seen. The rows come from the live inventory,
 * the machine index (`ui/machine-index.ts`: what the timeline says of each MAC, kept in memory) and the
 * leases.
 *
 * Search (`q`, in MAC, hostname, profile and addresses), a state filter and paging (`offset`, `limit`)
 * run here, so a page with 10 000 hosts transfers only the rows it shows.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Inventory } from '../../inventory/snapshot.js';
import { parseMac } from '../../net/mac.js';
import type { LeaseStore } from '../../store/types.js';
import { activityOf, SEEN_WINDOW_MS, type MachineIndex, type SeenMachine } from '../ui/machine-index.js';
import { machineState, phaseOf, type MachineState } from '../ui/machine-state.js';

/** One row of the machines list. */
export interface MachineRow {
  mac: string;
  known: boolean;
  hostname?: string;
  /** The host's reserved address. */
  ip?: string;
  profile: string | null;
  state: MachineState;
  lastPhase?: string;
  lastAt?: number;
  firstSeen?: number;
  lastSeen?: number;
  /** DHCP option 93 of its last DHCP message. */
  arch?: number;
  /** DHCP option 60 of its last DHCP message. */
  vendorClass?: string;
  /** The address of its unexpired lease. */
  leaseIp?: string;
}

/** The answer of `GET /api/v1/machines`. */
export interface MachineListing {
  /** Rows matching the search and filter. */
  total: number;
  offset: number;
  limit: number;
  /** Every machine by state, before search and filter. */
  counts: Record<MachineState, number>;
  machines: MachineRow[];
  at: number;
}

const MachinesQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'case-insensitive text in MAC, hostname, profile or address' })),
    state: Type.Optional(Type.Union(['booting', 'booted', 'failed', 'idle', 'unknown'].map((s) => Type.Literal(s)))),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

/** Builds every row: inventory hosts first (by MAC), then unknown MACs seen in DHCP within the window, newest first. Pure. */
export function machineRows(inventory: Inventory, seen: ReadonlyMap<string, SeenMachine>, leaseIps: Map<string, string>, now: number): MachineRow[] {
  const rows: MachineRow[] = [];
  const row = (mac: string, known: boolean, entry: SeenMachine | undefined): MachineRow => {
    const activity = activityOf(entry, now);
    const r: MachineRow = { mac, known, profile: null, state: machineState(known, activity, now) };
    const last = activity.last;
    if (last) Object.assign(r, { lastPhase: phaseOf(last), lastAt: last.at, firstSeen: entry!.first, lastSeen: last.at });
    if (last && entry?.arch !== undefined) r.arch = entry.arch;
    if (last && entry?.vendorClass !== undefined) r.vendorClass = entry.vendorClass;
    const lease = leaseIps.get(mac);
    if (lease !== undefined) r.leaseIp = lease;
    return r;
  };
  const known = new Set<string>();
  for (const host of inventory.hosts()) {
    known.add(host.mac);
    const r = row(host.mac, true, seen.get(host.mac));
    if (host.hostname !== undefined) r.hostname = host.hostname;
    if (host.ip !== undefined) r.ip = host.ip;
    r.profile = host.profile?.name ?? null;
    rows.push(r);
  }
  const since = now - SEEN_WINDOW_MS;
  // Host MACs are canonical, as the index's are: a set lookup, not a parse per seen MAC.
  const unknown: Array<[string, SeenMachine]> = [];
  for (const [mac, entry] of seen) if (entry.dhcpAt !== undefined && entry.dhcpAt >= since && !known.has(mac)) unknown.push([mac, entry]);
  unknown.sort((a, b) => b[1].last.at - a[1].last.at);
  for (const [mac, entry] of unknown) rows.push(row(mac, false, entry));
  return rows;
}

/** True when the row matches the search text (already lower case). */
function matches(row: MachineRow, q: string): boolean {
  return [row.mac, row.hostname, row.profile, row.ip, row.leaseIp, row.vendorClass].some((v) => typeof v === 'string' && v.toLowerCase().includes(q));
}

/** Registers `GET /api/v1/machines`. */
export function registerMachinesRoute(app: FastifyInstance, index: MachineIndex, leases: LeaseStore, current: () => Inventory, now: () => number = Date.now): void {
  type Query = { q?: string; state?: MachineState; offset?: number; limit?: number };
  app.get<{ Querystring: Query }>(
    '/api/v1/machines',
    {
      schema: { tags: ['machines'], summary: 'Known machines and MACs seen lately, with state and last phase (search, filter, paging)', querystring: MachinesQuery },
    },
    async (request) => {
      const t = now();
      const [seen, rows] = await Promise.all([index.machines(), leases.listLeases()]);
      const leaseIps = new Map(rows.filter((l) => l.expiresAt > t && (l.state === 'bound' || l.state === 'offered')).map((l) => [l.mac, l.ip]));
      const all = machineRows(current(), seen, leaseIps, t);
      const counts: Record<MachineState, number> = { booting: 0, booted: 0, failed: 0, idle: 0, unknown: 0 };
      for (const r of all) counts[r.state] += 1;
      const q = request.query.q?.trim().toLowerCase() ?? '';
      // A MAC in any spelling finds its machine.
      const macQuery = q === '' ? null : parseMac(q);
      const filtered = all.filter((r) => (request.query.state === undefined || r.state === request.query.state) && (q === '' || r.mac === macQuery || matches(r, q)));
      const offset = request.query.offset ?? 0;
      const limit = request.query.limit ?? 100;
      const listing: MachineListing = { total: filtered.length, offset, limit, counts, machines: filtered.slice(offset, offset + limit), at: t };
      return listing;
    },
  );
}
