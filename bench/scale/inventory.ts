/**
 * Decision and render latency as the site grows: the same per-request work at an inventory of 100 hosts
 * and of 100,000 (and the sizes between), and the lease path with the lease table at 100 leases and at a
 * full /16, on SQLite (the default store) and on PostgreSQL, in one run. The reference is xenboot's own
 * small end; every row prints both ends and big ÷ small (the goal: at most 2×).
 *
 *   npx tsx bench/scale/inventory.ts [--sizes 100,1000,10000,100000] [--samples 2000] [--stores sqlite,postgres]
 *
 * What is timed, one request at a time, in this process (no sockets: the wire and the event loop's other
 * work are the other benchmarks' business):
 * - decision: a known host rebooting through a relay, as the DHCP server handles a datagram: decode,
 *   `respond` (the inventory Booter: host by MAC, its profile, loader and reservation; the lease table;
 *   the store's `claimLease`, committed before the ACK) and encode; DISCOVER → OFFER and REQUEST → ACK
 *   timed apart. The lease table holds a bound lease for every host (the site has booted before).
 * - render: a host's generated files through the content chain TFTP and HTTP share (pypxeboot guard,
 *   generated files, static files), read to the last byte: `pxelinux.cfg/01-<mac>` of a dom0 and of a domU
 *   (linted for pypxeboot), the PXELINUX UUID and hex-address names, the iPXE script, `grub/grub.cfg-01-<mac>`,
 *   `xen-cfg/01-<mac>`, a hex-address name nobody has (inventory miss, then the store's lease lookup), the
 *   boot spec of `xenboot-pvboot` and the domU's xl config (`xenboot domu-config`).
 * - lease path on 10.62.0.0/16 (65,533 dynamic addresses, the server's excluded), its own store and an
 *   empty inventory: the table at 100 leases and at 65,533 (every address held; one in 16 expired, so new
 *   clients can still be served), loaded from the store as at start; a new MAC's DISCOVER → OFFER → REQUEST
 *   → ACK (timed as one claim), and a bound client's renewal (REQUEST with ciaddr → ACK); then the same
 *   new-client claim with the expired sixteenth at the top of the pool (DISCOVERs left unanswered are
 *   counted and timed).
 * - change: time the event loop answers nothing else while the inventory changes: a next-boot override
 *   applied (one boot's progress in the lifecycle), and a host added through the API's write path (the
 *   checked store write, then the live inventory reloaded).
 *
 * Before/after figures: copy `bench/scale/` into a checkout of the older commit and run it there too.
 *
 * PostgreSQL: XENBOOT_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test), a schema of its own
 * per store (`xbscale_<pid>_<n>`, dropped at the end). Skipped with a note when it does not answer.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dropSchemas, postgresAnswers, testPostgresUrl } from '../../lab/store/postgres.js';
import { bootServiceFromConfig, inventoryInputFromConfig } from '../../src/boot-service.js';
import { bootSpecFor } from '../../src/boot/boot-spec.js';
import { subjectForMac } from '../../src/boot/answer.js';
import { renderXlConfig } from '../../src/boot/domu-config.js';
import { createInventoryBooter } from '../../src/boot/inventory-booter.js';
import { dhcpBootFileChooser } from '../../src/boot/loaders/index.js';
import { ipxeScriptPath } from '../../src/boot/loaders/ipxe.js';
import { pypxebootGuard } from '../../src/boot/pypxeboot-guard.js';
import type { BootService } from '../../src/boot/service.js';
import { chainHandlers } from '../../src/content/chain.js';
import { staticFileHandler } from '../../src/content/static-files.js';
import type { ContentHandler } from '../../src/content/types.js';
import { createConfigBooter } from '../../src/dhcp/config-booter.js';
import type { ResponderContext } from '../../src/dhcp/context.js';
import { LeaseTable } from '../../src/dhcp/leases.js';
import { decodePacket, MessageType, messageTypeName } from '../../src/dhcp/packet.js';
import { encodeReply } from '../../src/dhcp/reply.js';
import { respond } from '../../src/dhcp/responder.js';
import { buildSubnets } from '../../src/dhcp/subnets.js';
import { writeInventory as writeThroughApi } from '../../src/http/inventory-writes.js';
import type { XenDomuProfile } from '../../src/inventory/model.js';
import type { NextBootOverride, StoredDocumentChange } from '../../src/inventory/snapshot.js';
import { intToIp, ipToHex, ipToInt } from '../../src/net/ipv4.js';
import { pxelinuxMacName } from '../../src/net/mac.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Lease, Store } from '../../src/store/types.js';
import { exitOnHelp } from '../usage.js';
import { encodeClientRequest, RELAY, SERVER, siteConfig, siteHost, writeInventory, writeLeases, type ClientIdentity } from './site.js';

exitOnHelp(import.meta.url);

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,10000,100000' },
    samples: { type: 'string', default: '2000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const SAMPLES = Number(values.samples);
const STORES = values.stores.split(',') as Array<'sqlite' | 'postgres'>;
const PG_URL = testPostgresUrl;
const WARMUP = Math.min(200, SAMPLES);
/** Inventory changes cost whole seconds where they are not flat: fewer of them. */
const CHANGE_SAMPLES = Math.min(20, SAMPLES);
/** Leases of the full /16: every dynamic address (10.62.0.2 – 10.62.255.254). */
const FULL_POOL = 65_533;
const SMALL_POOL = 100;
/** One in `EXPIRED_EVERY` leases of the lease-path table has expired (free for a new client). */
const EXPIRED_EVERY = 16;

/** Latencies of one kind of request, in milliseconds. */
class Samples {
  readonly values: number[] = [];
  add(ms: number): void {
    this.values.push(ms);
  }
  percentile(p: number): number {
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  }
}

type Figures = Map<string, Samples>;
/** figures[store][size][row] */
const results = new Map<string, Map<number, Figures>>();
const notes: string[] = [];

function record(store: string, size: number, row: string): Samples {
  const bySize = results.get(store) ?? new Map<number, Figures>();
  results.set(store, bySize);
  const figures = bySize.get(size) ?? new Map<string, Samples>();
  bySize.set(size, figures);
  const samples = figures.get(row) ?? new Samples();
  figures.set(row, samples);
  return samples;
}

// A deterministic sequence, so both ends ask for the same share of every kind of host.
let seed = 0x5ca1e;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
};

let schemaCounter = 0;
const schemas: string[] = [];

async function openBackend(kind: 'sqlite' | 'postgres', dir: string): Promise<Store> {
  if (kind === 'sqlite') return openSqliteStore(join(dir, `store-${++schemaCounter}.db`));
  const schema = `xbscale_${process.pid}_${++schemaCounter}`;
  schemas.push(schema);
  return openPostgresStore({ url: PG_URL, schema, poolSize: 8 });
}

/** The DHCP side of a running server over `store`: the Booter and the lease table, built as `services.ts` and `startDhcpServer` build them. */
async function dhcpSide(store: Store, boot: BootService) {
  const config = siteConfig();
  const booter = createInventoryBooter(boot.provider, createConfigBooter(config.dhcp, { bootFile: dhcpBootFileChooser(config.dhcp.boot, boot.publicUrls) }), boot.publicUrls);
  const subnets = buildSubnets(config.dhcp, SERVER);
  const leases = new LeaseTable(store.leases, subnets, new Map(), [SERVER], store.backend === 'postgres', (ip) => boot.provider.current().hostByIp(ip)?.mac);
  const started = performance.now();
  const loaded = await leases.load(Date.now());
  const loadMs = performance.now() - started;
  /** One datagram, handled as the server does, timed; returns the reply's type and address. */
  const exchange = async (datagram: Buffer, into: Samples | null): Promise<{ type: string; yiaddr: string; reason: string }> => {
    const t = performance.now();
    const packet = decodePacket(datagram);
    const context: ResponderContext = { config: config.dhcp, serverAddress: SERVER, subnets, booter, leases, now: Date.now() };
    const outcome = await respond(packet, { address: RELAY, port: 67, via: 'dhcp' }, context);
    if (outcome.reply) encodeReply(outcome.reply.packet);
    into?.add(performance.now() - t);
    if (!outcome.reply) return { type: 'none', yiaddr: '', reason: outcome.reason };
    return { type: messageTypeName(outcome.reply.packet.type), yiaddr: outcome.reply.packet.yiaddr, reason: outcome.reason };
  };
  return { exchange, loaded, loadMs };
}

/** A known host reboots: DISCOVER → OFFER, REQUEST → ACK, each timed. */
async function measureDecisions(storeName: string, n: number, exchange: Awaited<ReturnType<typeof dhcpSide>>['exchange']): Promise<void> {
  const offer = record(storeName, n, 'decision: DISCOVER → OFFER (known host)');
  const ack = record(storeName, n, 'decision: REQUEST → ACK (known host, lease committed)');
  for (let k = 0; k < WARMUP + SAMPLES; k++) {
    const host = siteHost(Math.floor(random() * n));
    const client: ClientIdentity = { mac: host.mac, uuid: host.uuid, kind: host.domu ? 'udhcpc' : 'pxe', giaddr: RELAY };
    const measured = k >= WARMUP;
    const offered = await exchange(encodeClientRequest(client, k, { type: 'discover' }), measured ? offer : null);
    if (offered.type !== 'OFFER' || offered.yiaddr !== host.ip) throw new Error(`host ${host.mac}: ${offered.type} of ${offered.yiaddr}, expected OFFER of ${host.ip}`);
    const acked = await exchange(encodeClientRequest(client, k, { type: 'select', ip: offered.yiaddr }), measured ? ack : null);
    if (acked.type !== 'ACK') throw new Error(`host ${host.mac}: ${acked.type} for ${host.ip}`);
  }
}

/** Reads a path through the content chain to its last byte; returns its size (0: not found). */
async function fetchContent(content: ContentHandler, path: string): Promise<number> {
  const found = await content({ path, rawPath: path, protocol: 'tftp', clientIp: '172.31.255.200', clientPort: 2070, serverIp: SERVER });
  if (found === null) return 0;
  await found.read(0, found.size);
  await found.close();
  return found.size;
}

/** Every render target of a random host, timed per kind. */
async function measureRenders(storeName: string, n: number, boot: BootService, content: ContentHandler): Promise<void> {
  const time = async (row: string | null, work: () => Promise<number>, expectFound = true) => {
    const t = performance.now();
    const size = await work();
    if (row !== null) record(storeName, n, row).add(performance.now() - t);
    if (expectFound !== size > 0) throw new Error(`${row}: ${size} bytes`);
  };
  const publicUrl = boot.renderer.server.publicUrl;
  for (let k = 0; k < WARMUP + SAMPLES; k++) {
    const row = (name: string) => (k >= WARMUP ? `render: ${name}` : null);
    // A dom0 and a domU, each drawn at random.
    let dom0 = siteHost(Math.floor(random() * n));
    if (dom0.domu) dom0 = siteHost(dom0.i - 1);
    let domu = siteHost(Math.floor(random() * n));
    if (!domu.domu) domu = siteHost(Math.min(n - 1, domu.i + (9 - (domu.i % 10))));
    if (!domu.domu) domu = siteHost(9);
    await time(row('pxelinux.cfg/01-<mac>, dom0 (mboot.c32)'), () => fetchContent(content, `pxelinux.cfg/${pxelinuxMacName(dom0.mac)}`));
    await time(row('pxelinux.cfg/<uuid>, dom0'), () => fetchContent(content, `pxelinux.cfg/${dom0.uuid}`));
    await time(row('pxelinux.cfg/<hex IP>, reserved address'), () => fetchContent(content, `pxelinux.cfg/${ipToHex(dom0.ip)}`));
    await time(row('pxelinux.cfg/<hex IP>, nobody (store lease lookup)'), () => fetchContent(content, `pxelinux.cfg/${ipToHex(intToIp(ipToInt('10.62.200.0') + (k % 250)))}`), false);
    await time(row('ipxe/pcbios/01-<mac>.ipxe'), () => fetchContent(content, ipxeScriptPath(dom0.mac, 'pcbios')));
    await time(row('grub/grub.cfg-01-<mac>'), () => fetchContent(content, `grub/grub.cfg-${pxelinuxMacName(dom0.mac)}`));
    await time(row('xen-cfg/01-<mac>'), () => fetchContent(content, `xen-cfg/${pxelinuxMacName(dom0.mac)}`));
    await time(row('pxelinux.cfg/01-<mac>, domU (pypxeboot, linted)'), () => fetchContent(content, `pxelinux.cfg/${pxelinuxMacName(domu.mac)}`));
    await time(row('boot spec, domU (xenboot-pvboot)'), async () => {
      const found = subjectForMac(boot.provider.current(), domu.mac);
      if ('none' in found) return 0;
      return JSON.stringify(bootSpecFor(found.subject, boot.renderer, publicUrl)).length;
    });
    await time(row('xl config, domU (xenboot domu-config)'), async () => {
      const host = boot.provider.current().hostByMac(domu.mac);
      if (!host?.profile || host.profile.kind !== 'xen-domu') return 0;
      return renderXlConfig(boot.renderer.templates, { name: host.hostname!.split('.')[0]!, mac: host.mac, profile: host.profile as XenDomuProfile, server: publicUrl }).length;
    });
  }
}

/**
 * What the inventory costs while it changes, time during which the event loop answers nothing else: a
 * next-boot action moving on (the lifecycle hands the boot path new overrides: one boot's progress), and a
 * host added through the API's write path (checks in the store's transaction, then the live inventory).
 */
async function measureChanges(storeName: string, n: number, store: Store, boot: BootService): Promise<void> {
  const override = record(storeName, n, 'change: next-boot override applied (one host armed)');
  const added = record(storeName, n, 'change: host added through the API (checked write + live inventory)');
  const refresh = record(storeName, n, 'change: … of which the live inventory took the write in');
  const config = siteConfig();
  const ctx = { store, configInventory: () => inventoryInputFromConfig(config), applied: (changes: readonly StoredDocumentChange[], revision: number) => boot.provider.applyStoredChanges(changes, revision) };
  for (let k = 0; k < 2 + CHANGE_SAMPLES; k++) {
    const measured = k >= 2;
    const host = siteHost(Math.floor(random() * n));
    const overrides = new Map<string, NextBootOverride>([[host.mac, { kind: 'disabled', reason: 'netboot: disabled' }]]);
    let t = performance.now();
    boot.provider.setOverrides(overrides);
    if (measured) override.add(performance.now() - t);
    if (boot.provider.current().hostByMac(host.mac)?.profileSource.from !== 'next-boot') throw new Error('override not applied');
    boot.provider.setOverrides(new Map());
    const mac = `02:5c:a1:${[(k >> 16) & 255, (k >> 8) & 255, k & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    t = performance.now();
    let refreshed = 0;
    const timedCtx = { ...ctx, applied: async (changes: readonly StoredDocumentChange[], revision: number) => {
      const r = performance.now();
      await ctx.applied(changes, revision);
      refreshed = performance.now() - r;
    } };
    await writeThroughApi(timedCtx, [{ op: 'create', kind: 'hosts', doc: { mac, labels: { rack: 'r0' } } }], () => `hosts[${k}]`);
    if (measured) {
      added.add(performance.now() - t);
      refresh.add(refreshed);
    }
    if (!boot.provider.current().hostByMac(mac)) throw new Error('added host not in the live inventory');
  }
}

/**
 * The lease table at `leaseCount` leases on the /16: a new MAC's full exchange, and renewals. `layout`:
 * the expired sixteenth `scattered` (every 16th lease), or at the `top` of the pool (the last racks left
 * before a restart): where a cursor that walks held addresses would search longest.
 */
async function measureLeasePath(storeName: string, kind: 'sqlite' | 'postgres', dir: string, leaseCount: number, layout: 'scattered' | 'top' = 'scattered'): Promise<void> {
  const store = await openBackend(kind, dir);
  try {
    const now = Date.now();
    const leases: Lease[] = [];
    for (let k = 0; k < leaseCount; k++) {
      const expired = layout === 'top' ? k >= leaseCount - Math.floor(leaseCount / EXPIRED_EVERY) : k % EXPIRED_EVERY === EXPIRED_EVERY - 1;
      const mac = `52:55:${[(k >> 16) & 255, (k >> 8) & 255, k & 255, 1].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      leases.push({ mac, ip: intToIp(ipToInt('10.62.0.2') + k), state: 'bound', expiresAt: expired ? now - 60_000 : now + 86_400_000, updatedAt: now - 3_600_000 });
    }
    let t = performance.now();
    await writeLeases(store.leases, leases);
    const writeMs = performance.now() - t;
    t = performance.now();
    const boot = await bootServiceFromConfig(siteConfig(), { store });
    const side = await dhcpSide(store, boot);
    notes.push(`${storeName}, lease table of ${leaseCount} (${layout}): written in ${(writeMs / 1000).toFixed(1)} s, loaded at start in ${side.loadMs.toFixed(0)} ms`);
    const top = layout === 'top' ? ', free sixteenth at the top' : '';
    const claim = record(storeName, leaseCount, `lease: new MAC, DISCOVER → OFFER → REQUEST → ACK${top}`);
    const renew = layout === 'top' ? null : record(storeName, leaseCount, 'lease: renewal, REQUEST (ciaddr) → ACK');
    const bound = leases.filter((lease) => lease.expiresAt > now);
    let silent = 0;
    let firstOfferAfter = -1;
    for (let k = 0; k < WARMUP + SAMPLES; k++) {
      const measured = k >= WARMUP;
      const client: ClientIdentity = { mac: `52:56:${[(k >> 16) & 255, (k >> 8) & 255, k & 255, 2].map((b) => b.toString(16).padStart(2, '0')).join(':')}`, kind: 'pxe' };
      const started = performance.now();
      const offered = await side.exchange(encodeClientRequest(client, k, { type: 'discover' }), null);
      if (offered.type === 'none') {
        // A DISCOVER left unanswered (the client retries seconds later): counted, timed as it cost.
        if (!/^pool full/.test(offered.reason)) throw new Error(`new client ${client.mac}: no OFFER (${offered.reason})`);
        silent += 1;
        if (measured) claim.add(performance.now() - started);
        continue;
      }
      if (firstOfferAfter < 0) firstOfferAfter = k;
      const acked = await side.exchange(encodeClientRequest(client, k, { type: 'select', ip: offered.yiaddr }), null);
      if (measured) claim.add(performance.now() - started);
      if (offered.type !== 'OFFER' || acked.type !== 'ACK') throw new Error(`new client ${client.mac}: ${offered.type}, ${acked.type}`);
      if (renew === null) continue;
      const holder = bound[Math.floor(random() * bound.length)]!;
      const renewed = await side.exchange(encodeClientRequest({ mac: holder.mac, kind: 'pxe' }, k, { type: 'renew', ip: holder.ip }), measured ? renew : null);
      if (renewed.type !== 'ACK' || renewed.yiaddr !== holder.ip) throw new Error(`renewal of ${holder.ip}: ${renewed.type}`);
    }
    if (silent > 0 || layout === 'top') notes.push(`${storeName}, lease table of ${leaseCount} (${layout}): ${silent} of ${WARMUP + SAMPLES} new clients got no OFFER ("pool full" with free addresses left); the first OFFER went to client ${firstOfferAfter + 1}`);
  } finally {
    await store.close();
  }
}

async function runStore(kind: 'sqlite' | 'postgres', dir: string): Promise<void> {
  const storeName = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  for (const n of SIZES) {
    const store = await openBackend(kind, dir);
    try {
      let t = performance.now();
      await writeInventory(store, n);
      const writeInventoryMs = performance.now() - t;
      const now = Date.now();
      const leases: Lease[] = Array.from({ length: n }, (_, i) => {
        const host = siteHost(i);
        return { mac: host.mac, ip: host.ip, state: 'bound', expiresAt: now + 86_400_000, updatedAt: now - 3_600_000, hostname: host.hostname };
      });
      t = performance.now();
      await writeLeases(store.leases, leases);
      const writeLeasesMs = performance.now() - t;
      t = performance.now();
      const boot = await bootServiceFromConfig(siteConfig(), { store });
      const bootMs = performance.now() - t;
      const side = await dhcpSide(store, boot);
      notes.push(
        `${storeName}, ${n} hosts: inventory written in ${(writeInventoryMs / 1000).toFixed(1)} s, leases in ${(writeLeasesMs / 1000).toFixed(1)} s; ` +
          `at start the inventory loaded in ${bootMs.toFixed(0)} ms, the lease table (${side.loaded}) in ${side.loadMs.toFixed(0)} ms`,
      );
      await measureDecisions(storeName, n, side.exchange);
      const root = join(dir, 'tftproot');
      mkdirSync(root, { recursive: true });
      const content = pypxebootGuard(chainHandlers([boot.contentHandler, staticFileHandler(root)]), {
        inventory: () => boot.provider.current(),
        ...(boot.macForIp ? { macForIp: boot.macForIp } : {}),
      });
      await measureRenders(storeName, n, boot, content);
      await measureChanges(storeName, n, store, boot);
      const rss = process.memoryUsage().rss / 2 ** 20;
      notes.push(`${storeName}, ${n} hosts: RSS after the measurements ${rss.toFixed(0)} MiB`);
    } finally {
      await store.close();
    }
    console.error(`${storeName}: ${n} hosts measured`);
  }
  for (const count of [SMALL_POOL, FULL_POOL]) {
    await measureLeasePath(storeName, kind, dir, count);
    console.error(`${storeName}: lease table of ${count} measured`);
  }
  await measureLeasePath(storeName, kind, dir, SMALL_POOL, 'top');
  await measureLeasePath(storeName, kind, dir, FULL_POOL, 'top');
  console.error(`${storeName}: lease tables with the free addresses at the top measured`);
}

function printTables(): void {
  const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2));
  for (const [storeName, bySize] of results) {
    const sizes = [...bySize.keys()];
    const rows = new Set<string>();
    for (const figures of bySize.values()) for (const row of figures.keys()) rows.add(row);
    console.log(`\n### ${storeName}: p50 / p99 in ms, one request at a time (${SAMPLES} samples per cell after ${WARMUP} warm-up; changes: ${CHANGE_SAMPLES})\n`);
    for (const prefix of ['decision', 'render', 'change', 'lease']) {
      const mine = [...rows].filter((r) => r.startsWith(prefix));
      if (mine.length === 0) continue;
      const columns = sizes.filter((s) => mine.some((r) => bySize.get(s)!.has(r)));
      const unit = prefix === 'lease' ? 'leases' : 'hosts';
      console.log(`| ${prefix} | ${columns.map((s) => `${s.toLocaleString('en')} ${unit}`).join(' | ')} | big ÷ small (p50 / p99) |`);
      console.log(`|---|${columns.map(() => '---|').join('')}---|`);
      for (const row of mine) {
        const cells = columns.map((s) => bySize.get(s)!.get(row));
        const first = cells[0]!;
        const last = cells[cells.length - 1]!;
        const ratio = `${(last.percentile(0.5) / first.percentile(0.5)).toFixed(2)}× / ${(last.percentile(0.99) / first.percentile(0.99)).toFixed(2)}×`;
        console.log(`| ${row.replace(/^\w+: /, '')} | ${cells.map((c) => `${fmt(c!.percentile(0.5))} / ${fmt(c!.percentile(0.99))}`).join(' | ')} | ${ratio} |`);
      }
      console.log('');
    }
  }
  console.log(notes.map((n) => `- ${n}`).join('\n'));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-bench-scale-'));
  console.log(`xenboot scale: sizes ${SIZES.join(', ')} hosts; lease table ${SMALL_POOL} and ${FULL_POOL} on a /16; ${SAMPLES} samples; Node ${process.version}`);
  try {
    for (const kind of STORES) {
      if (kind === 'postgres' && !(await postgresAnswers(PG_URL, 3_000))) {
        notes.push(`PostgreSQL at ${PG_URL} did not answer: not measured`);
        continue;
      }
      await runStore(kind, dir);
    }
  } finally {
    await dropSchemas(schemas.splice(0), PG_URL);
    rmSync(dir, { recursive: true, force: true });
  }
  printTables();
}

await main();
